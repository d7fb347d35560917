"""HTTP routes: thin — parse input, call one service, return the result."""
