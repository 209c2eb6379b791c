"""Engines and sessions. SQLite by default; any SQLAlchemy URL (PostgreSQL tested).

Every SQLite transaction starts with ``BEGIN IMMEDIATE`` so that two processes drawing
at once queue on the write lock instead of failing half-way; PostgreSQL serialises ledger
appends with an advisory lock (``lock_ledger``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

from inspect_sched import models  # noqa: F401  (registers the tables)
from inspect_sched.errors import InspectSchedError

DEFAULT_URL = "sqlite:///inspect_sched.db"
ENV_VAR = "INSPECT_SCHED_DB"
SCHEMA_VERSION = 1
_LEDGER_LOCK_KEY = 7_401_932


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def get_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (or $INSPECT_SCHED_DB, or the default SQLite file)."""
    url = database_url(url)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 120})
            _make_sqlite_transactions_immediate(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise InspectSchedError(
            f"cannot use database URL {url!r}: {exc}. "
            "Use e.g. sqlite:///inspect_sched.db or postgresql+psycopg://user:pw@host/db"
        ) from None
    except ModuleNotFoundError as exc:
        raise InspectSchedError(
            f"database URL {url!r} needs the Python package {exc.name!r}; "
            "install it with: pip install 'inspect-sched[postgres]'"
        ) from None
    return engine


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=120000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def init_db(engine: Engine) -> str:
    """Create or upgrade the schema. Idempotent. Returns what it did."""
    try:
        existed = set(inspect(engine).get_table_names())
        SQLModel.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                text("CREATE TABLE IF NOT EXISTS schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            )
            row = conn.execute(text("SELECT value FROM schema_meta WHERE key='version'")).first()
            if row is None:
                conn.execute(
                    text("INSERT INTO schema_meta (key, value) VALUES ('version', :v)"),
                    {"v": str(SCHEMA_VERSION)},
                )
    except OperationalError as exc:
        raise InspectSchedError(f"cannot open the database: {exc.orig}") from None
    created = set(SQLModel.metadata.tables) - existed
    if not created:
        return f"schema is up to date (version {SCHEMA_VERSION})"
    return f"created {len(created)} table(s); schema version {SCHEMA_VERSION}"


def ensure_schema(engine: Engine) -> None:
    """Commands other than ``init`` create the schema on first use, quietly."""
    if not inspect(engine).has_table("ledger"):
        init_db(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back otherwise."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def lock_ledger(session: Session) -> None:
    """Serialise ledger appends across processes (SQLite is already locked by BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LEDGER_LOCK_KEY})
