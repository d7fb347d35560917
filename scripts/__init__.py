"""Command-line entry points (`recourse ...`)."""
