"""Private data exchange between member institutions' gateways: signed requests, sealed payloads."""
