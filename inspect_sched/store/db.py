"""Engines and sessions. SQLite by default; any SQLAlchemy URL (PostgreSQL tested).

Every SQLite transaction starts with ``BEGIN IMMEDIATE`` so that two processes drawing
at once queue on the write lock instead of failing half-way; PostgreSQL serialises ledger
appends with an advisory lock (``lock_ledger``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import Session, create_engine

from inspect_sched.errors import InspectSchedError
from inspect_sched.store import (
    DEFAULT_URL,
    ENV_VAR,
    models,  # noqa: F401  (registers the tables)
)

if TYPE_CHECKING:
    from alembic.config import Config

_LEDGER_LOCK_KEY = 7_401_932


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def get_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (or $INSPECT_SCHED_DB, or the default SQLite file)."""
    url = database_url(url)
    try:
        if url.startswith("sqlite"):
            _create_private_sqlite_file(url)
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


def _create_private_sqlite_file(url: str) -> None:
    """Create a new SQLite file owner-only (0600): it holds the confidential task sheets.

    SQLite gives its journal files the database file's mode, so they are private too. An
    existing file keeps its mode (the owner chose it).
    """
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process created it first
    except OSError:
        pass  # no such folder, read-only ...: SQLite reports it in its own words when connecting


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=120000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE_REVISION = "0001"  # the schema of release 0.1, which had no alembic_version table


def _alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(?:["']([^"']+)["']|None)\s*$""", re.M)


def head_revision() -> str:
    """The newest migration this release knows.

    Read from the migration files' ``revision`` / ``down_revision`` lines: every command asks
    for it, and importing Alembic to answer took a third of a city draw's start. Alembic
    answers whenever the files are not one plain chain (tests compare the two).
    """
    revisions, parents = set(), set()
    files = [p for p in (MIGRATIONS / "versions").glob("*.py") if p.name != "__init__.py"]
    for path in files:
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found:
            return _alembic_head()  # written some other way: ask Alembic
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    if len(revisions) == len(files) and len(heads) == 1 and len(parents) == len(revisions) - 1:
        return heads.pop()
    return _alembic_head()


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision; the baseline for a release-0.1 database; None if empty."""
    tables = set(inspect(engine).get_table_names())
    if "alembic_version" in tables:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None
    return BASELINE_REVISION if "ledger" in tables else None


@dataclass(frozen=True)
class SchemaChange:
    """What ``init_db`` did: ``before`` None means the schema was created; equal to ``after``, nothing."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def init_db(engine: Engine) -> SchemaChange:
    """Create the schema, or upgrade a database of any earlier release in place (Alembic).

    Idempotent. A release-0.1 database (tables but no ``alembic_version``) is stamped at the
    baseline revision first, then upgraded like any other.
    """
    from alembic import command

    try:
        before = current_revision(engine)
        head = head_revision()
        if before == head:
            return SchemaChange(before, head)
        with engine.begin() as conn:
            cfg = _alembic_config(conn)
            if before == BASELINE_REVISION and not inspect(conn).has_table("alembic_version"):
                command.stamp(cfg, BASELINE_REVISION)
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise InspectSchedError(f"cannot open the database: {exc.orig}") from None
    return SchemaChange(before, head)


def ensure_schema(engine: Engine) -> None:
    """Commands other than ``init`` create or upgrade the schema on first use, quietly."""
    if current_revision(engine) != head_revision():
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
