"""Oracle operators: fetch features, run analytics models, sign and push reports. Built by the oracles issue."""
