"""Alembic environment: runs against the engine passed in ``config.attributes['engine']``."""

from __future__ import annotations

import importlib
import pkgutil

from alembic import context
from sqlmodel import SQLModel

import node_api.db

# register every table: node_api/db/models.py and each domain's node_api/db/<domain>_models.py
for _module in pkgutil.iter_modules(node_api.db.__path__):
    if _module.name == "models" or _module.name.endswith("_models"):
        importlib.import_module(f"node_api.db.{_module.name}")

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
