"""The member institution's gateway (FastAPI). Built by the gateway platform issue."""
