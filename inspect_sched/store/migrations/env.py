"""Alembic environment. The connection comes from ``inspect_sched.store.db.init_db``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from inspect_sched.store import models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # run from the alembic command line (developers only)
    from sqlalchemy import create_engine

    from inspect_sched.store.db import database_url

    connection = create_engine(database_url()).connect()

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need table copies
)
with context.begin_transaction():
    context.run_migrations()
