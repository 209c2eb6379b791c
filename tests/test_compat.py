"""Audit material outlives releases (SPEC §10): release 0.1's database upgrades in place and
its bundle verifies; every model change ships with its migration."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from inspect_sched.store.db import current_revision, get_engine, head_revision, init_db
from tests.helpers import cli_ok

REL01 = Path(__file__).resolve().parent / "data" / "release-0.1"


def test_release_0_1_database_upgrades_then_verifies_and_draws(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copyfile(REL01 / "demo.db", db)
    url = f"sqlite:///{db}"
    assert current_revision(get_engine(url)) == "0001"  # no alembic_version: the 0.1 baseline
    out = cli_ok(url, "init")
    assert "up to date" in out or "upgraded" in out
    assert current_revision(get_engine(url)) == head_revision()
    assert "chain intact" in cli_ok(url, "ledger", "verify")
    cli_ok(url, "plan", "--period", "2027-01")
    out = cli_ok(url, "draw", "--plan", "2", "--period", "2027-01", "--seed", "27010100000000000001",
                 "--out", str(tmp_path / "jan"))
    assert "draw 2" in out
    assert cli_ok(url, "verify", str(tmp_path / "jan")).startswith("verified")
    assert "chain intact" in cli_ok(url, "ledger", "verify")


def test_release_0_1_bundle_verifies(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(REL01 / "draw-2026-12", bundle)
    assert cli_ok(f"sqlite:///{tmp_path / 'x.db'}", "verify", str(bundle)).startswith("verified")


def test_models_and_migrations_agree(db_url: str) -> None:
    """A fresh database built by the migrations has exactly the tables and columns of the models:
    a model change without its migration fails here."""
    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert not init_db(engine).changed


def test_head_revision_read_from_the_files_is_alembics(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``head_revision`` reads the migration files without Alembic; Alembic agrees, also for a
    chain written in Alembic's annotated style, and answers itself for a branched one."""
    from inspect_sched.store import db

    head = db.head_revision()
    assert head == db._alembic_head()
    versions = tmp_path / "migrations" / "versions"
    shutil.copytree(db.MIGRATIONS, tmp_path / "migrations")
    (versions / "0099_next.py").write_text(
        f'revision: str = "0099"\ndown_revision: str | None = "{head}"\n', encoding="utf-8")
    monkeypatch.setattr(db, "MIGRATIONS", tmp_path / "migrations")
    monkeypatch.setattr(db, "_alembic_head", lambda: "alembic")
    assert db.head_revision() == "0099"
    (versions / "0098_branch.py").write_text(f'revision = "0098"\ndown_revision = "{head}"\n', encoding="utf-8")
    assert db.head_revision() == "alembic"  # two heads: not a plain chain
    (versions / "0098_branch.py").write_text(f'revision = "0098"\ndown_revision = ("0099", "{head}")\n',
                                             encoding="utf-8")
    assert db.head_revision() == "alembic"  # a merge revision: the regex does not read it
