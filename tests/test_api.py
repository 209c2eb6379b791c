"""The library's front door: the whole job with typed arguments, no command-line strings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import inspect_sched
from inspect_sched import Database, InspectSchedError, PublicFormat, generate_fixtures, verify_bundle
from tests.helpers import full_results, results_csv

REPO = Path(__file__).resolve().parent.parent


def test_import_is_cheap_and_the_front_door_is_lazy() -> None:
    code = ("import sys, inspect_sched\n"
            "from inspect_sched import Database, PublicFormat\n"
            "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'ortools', 'click') if m in sys.modules]\n"
            "print(','.join(heavy) or 'none')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "none"
    assert {"Database", "verify_bundle", "generate_fixtures"} <= set(dir(inspect_sched))
    with pytest.raises(AttributeError):
        inspect_sched.no_such_name  # noqa: B018


def test_the_whole_job_through_the_api(tmp_path: Path) -> None:
    pools = tmp_path / "pools"
    generate_fixtures(pools, enterprises=300, inspectors=40, seed="api", partner_staff=0)
    db = Database(f"sqlite:///{tmp_path / 'api.db'}")
    change = db.init()
    assert change.before is None and change.changed
    assert not db.init().changed
    assert db.import_enterprises(pools / "enterprises.csv").inserted == 300
    assert db.import_inspectors(pools / "inspectors.csv").inserted == 40
    db.import_positive_list(pools / "positive_list.csv")
    db.import_conflicts(pools / "conflicts.csv")
    db.import_history(pools / "history.csv")

    # Typed filters: enumeration words in any spelling, values as a list.
    plan = db.plan("2026-12", filters={"category": ["重点", "general"]}, departments=["生态环境"])
    assert plan.spec.filters == {"category": ("general", "key")}
    with pytest.raises(InspectSchedError) as info:
        db.plan("2026-12", filters={"colour": ["red"]})
    assert "colour" in str(info.value) and "--" not in str(info.value)

    draw = db.draw("20261201093015482736", tmp_path / "b", plan_id=plan.plan_id)
    assert draw.commitment == plan.commitment
    assert verify_bundle(tmp_path / "b") == []
    assert db.export(draw.draw_id, tmp_path / "again").is_dir()

    # A missing draw names no flag; the CLI adds its own hint.
    with pytest.raises(InspectSchedError) as info:
        db.publish(99, tmp_path / "p")
    assert str(info.value) == "draw 99 does not exist" and info.value.hint == "no_such_draw"

    with pytest.raises(InspectSchedError) as info:
        db.amend(draw.draw_id, "replace-firm", " ", uscc=draw.derivation.sample[0].framed.firm.uscc)
    assert info.value.hint == "amend_reason_empty" and "--" not in str(info.value)

    rows = full_results(db.engine, draw.draw_id)
    summary = db.import_results(draw.draw_id, results_csv(tmp_path / "r.csv", rows))
    assert summary.recorded == summary.drawn == len(draw.derivation.sample)
    outcome = db.publish(draw.draw_id, tmp_path / "pub", formats=[PublicFormat.CSV, "html"])
    assert outcome.version == 1 and outcome.pending == 0
    assert sorted(p.name for p in outcome.paths) == sorted(
        f"public-draw-{draw.draw_id}{v}.{f}" for v in ("", "-v1") for f in ("csv", "html", "json"))

    entries = db.ledger()
    assert [(e.sequence, e.kind, e.draw_id) for e in entries] == [(1, "draw", 1), (2, "results", 1), (3, "publish", 1)]
    assert entries[0].seed == "20261201093015482736" and entries[0].manifest_sha256 == draw.manifest_sha256
    assert db.verify_ledger() == []
