"""Concurrency: several draws started at the same moment as separate processes against one
database (SQLite file, PostgreSQL database) get unique gap-free ledger sequence numbers,
keep the chain intact and leave exactly one current draw per (period, task) — draws of the
same period and task become a chain of redraws (each gives --reason, as a redraw must).

A draw whose frozen inputs another racing draw made stale (a firm of its frame drawn
meanwhile, e.g. November racing December) is refused under the ledger lock with "run the
draw again", records nothing, and succeeds when run again: both can never pass on stale
exclusions (SPEC §7).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import cli_ok, load_pool
from sqlmodel import Session, select

from inspect_sched.audit.verify import verify_bundle
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Draw, DrawFirm, LedgerEntry, Plan
from inspect_sched.synth.fakedata import generate

# Long runs (kills, fuzzing, concurrent processes): `-m 'not slow'` skips them locally; CI runs all.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
# (period, task): three draws of the same period and task race to be first; the others differ.
JOBS = [
    ("2026-12", None),
    ("2026-12", None),
    ("2026-12", None),
    ("2026-11", None),
    ("2026-12", "重点行业专项抽查"),
]


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("concurrency_pool")
    generate(500, 80, "concurrency", out)
    return out


def test_simultaneous_draws_all_succeed_and_keep_the_ledger_whole(
    db_url: str, pool: Path, tmp_path: Path
) -> None:
    load_pool(db_url, pool)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("INSPECT_SCHED_DB", None)
    procs = []
    # All processes start at once; each waits for the same wall-clock moment after its imports,
    # so their transactions really overlap.
    go = time.time() + 3.0
    code = (
        "import sys, time; from inspect_sched.cli import main; import inspect_sched.services.draws, "
        f"inspect_sched.core.assign; time.sleep(max(0, {go} - time.time())); sys.argv[0] = 'inspect-sched'; main()"
    )
    for k, (period, task) in enumerate(JOBS):
        args = [
            sys.executable,
            "-c",
            code,
            "--db",
            db_url,
            "draw",
            "--period",
            period,
            "--seed",
            f"{31415926535897932384 + k}",
            "--out",
            str(tmp_path / f"d{k}"),
        ]
        if task:
            args += ["--task", task]
        args += ["--reason", "并发测试"]
        procs.append(
            subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    results = [p.communicate(timeout=180) + (p.returncode,) for p in procs]
    for k, (_out, err, rc) in enumerate(results):
        assert "Traceback" not in err
        if rc != 0:
            assert rc == 1 and "run the draw again" in err, f"draw {k} failed (exit {rc}): {err}"
            assert not (tmp_path / f"d{k}").exists()
            period, task = JOBS[k]
            cli_ok(db_url, "draw", "--period", period, "--seed", f"{31415926535897932384 + k}",
                   *(["--task", task] if task else []), "--reason", "并发测试", "--out", str(tmp_path / f"d{k}"))

    engine = get_engine(db_url)
    with Session(engine) as s:
        ledger = s.exec(select(LedgerEntry).order_by(LedgerEntry.sequence)).all()
        draws = s.exec(select(Draw).order_by(Draw.id)).all()
        assert [e.sequence for e in ledger] == list(range(1, len(JOBS) + 1))
        assert sorted(d.sequence for d in draws) == list(range(1, len(JOBS) + 1))
        assert len({e.hash for e in ledger}) == len(JOBS)
        assert s.exec(select(Plan)).all().__len__() == len(JOBS)
        current = Counter((d.period, d.task) for d in draws if d.superseded_by is None)
        assert all(v == 1 for v in current.values()), current
        assert len(current) == 3
        # The three racing draws form one chain: first, redraw of it, redraw of that.
        race = sorted(
            (d for d in draws if d.period == "2026-12" and d.task == "日常双随机抽查"),
            key=lambda d: d.sequence,
        )
        assert race[0].redraw_of is None
        assert [d.redraw_of for d in race[1:]] == [d.id for d in race[:-1]]
        assert [d.superseded_by for d in race[:-1]] == [d.id for d in race[1:]]
        for d in draws:
            assert s.exec(select(DrawFirm).where(DrawFirm.draw_id == d.id)).first() is not None
    assert f"ledger verified: {len(JOBS)} entries" in cli_ok(db_url, "ledger", "verify")
    for k in range(len(JOBS)):
        assert verify_bundle(tmp_path / f"d{k}") == [], k
    backend = db_url.split(":", 1)[0]
    print(
        f"\n[concurrency {backend}] {len(JOBS)} simultaneous draws held: sequences 1..{len(JOBS)}, "
        f"{len(current)} current draws, redraw chain {[d.id for d in race]}"
    )
