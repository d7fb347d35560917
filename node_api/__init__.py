"""The member institution's gateway (FastAPI): routes, services, database, indexer, projections."""
