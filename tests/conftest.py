"""Shared fixtures: a fresh database per test on SQLite and (in CI, always) PostgreSQL.

PostgreSQL tests need ``INSPECT_SCHED_TEST_PG`` (a server URL such as
``postgresql+psycopg://postgres@127.0.0.1:54329/postgres``); ``.ci/run`` starts one and
sets it. Outside CI they are skipped with a notice when it is unset; in CI (``CI=true``)
a missing server is an error, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inspect_sched.store.db import get_engine, init_db

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
# Golden files: copies of ../shared/vectors, so that a clone alone can run the tests;
# tests/test_vectors_copy.py checks the copies against shared/ wherever it is present.
VECTORS = REPO / "tests" / "vectors"
SHARED_VECTORS = REPO.parent / "shared" / "vectors"
PG_ENV = "INSPECT_SCHED_TEST_PG"


def _postgres_server() -> str | None:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must test PostgreSQL: set {PG_ENV} (.ci/run starts a server)")
    pytest.skip(f"PostgreSQL tests need {PG_ENV}; .ci/run sets it")
    return None


@contextmanager
def new_database(kind: str, folder: Path) -> Iterator[str]:
    """A new, empty, initialised database of ``kind`` ("sqlite" or "postgresql"); dropped after."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'test.db'}"
        init_db(get_engine(url))
        yield url
        return
    server = _postgres_server()
    assert server is not None
    name = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = get_engine(url)
    init_db(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a new, empty, initialised database on each backend."""
    with new_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLite only, for tests about files rather than databases."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    init_db(get_engine(url))
    return url


@pytest.fixture(autouse=True)
def _fresh_row_parsers() -> None:
    """Each test builds the importers' row parsers anew. They are cached per kind for speed; a
    parser cached by an earlier test, or by the process a mutation run forks its tests from,
    would hide a change to how rows are read (a mutant of ``_reader`` could never run)."""
    from inspect_sched.store.importers import KINDS

    for kind in KINDS.values():
        kind.__dict__.pop("parse", None)
