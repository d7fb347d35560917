"""Domain services of the gateway."""
