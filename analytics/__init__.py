"""Pure analytics models (valuation, risk, guarantee networks, matching): no I/O, no chain, no web.

Empty until the oracles and analytics issue lands; import-linter keeps it pure.
"""
