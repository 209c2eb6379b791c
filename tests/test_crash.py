"""Crash safety: a draw killed with SIGKILL at any moment is either not recorded at all or
recorded completely (ledger entry, stored bundle), and its folder under ``--out`` is either
absent or complete.

``make_draw`` stages the bundle in a hidden sibling folder (``.NAME.*.tmp``) inside the
transaction, commits, then renames the staging folder to ``--out``. So after a kill:

* ``nothing``: no Draw, no ledger entry, no Plan from it, nothing under ``--out`` (a hidden
  staging folder may remain next to it: that is expected, it is never under the --out name);
* ``complete``: the draw and its ledger entry are recorded and ``--out`` verifies;
* ``recorded_unrenamed``: the narrow documented window between commit and rename — the draw
  is recorded and ``--out`` does not exist; ``export --draw ID --out DIR`` restores it.

After every kill ``ledger verify`` passes; a last, unkilled draw works.
Run with ``pytest -s tests/test_crash.py`` to see the figures.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import cli_ok, load_pool
from sqlmodel import Session, func, select

from inspect_sched.audit.verify import verify_bundle
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Draw, LedgerEntry, Plan
from inspect_sched.synth.fakedata import generate

# Long runs (kills, fuzzing, concurrent processes): `-m 'not slow'` skips them locally; CI runs all.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("INSPECT_SCHED_CRASH_KILLS", "20"))


@pytest.fixture(scope="module")
def crash_pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough that one draw takes a couple of seconds (most of it sampling and solving)."""
    out = tmp_path_factory.mktemp("crash_pool")
    generate(1000, 100, "crash-pool", out)
    return out


def draw_cmd(db: str, seed: str, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "inspect_sched",
        "--db",
        db,
        "draw",
        "--period",
        "2026-12",
        "--seed",
        seed,
        # Every draw after the first is a redraw of the same period and task: it needs a reason.
        "--reason",
        "崩溃测试",
        "--out",
        str(out),
    ]


def state(db: str) -> tuple[set[int], set[int], int]:
    """(draw ids, ledger draw ids, plan count)."""
    engine = get_engine(db)
    try:
        with Session(engine) as s:
            draws = set(s.exec(select(Draw.id)))
            ledger = {e.draw_id for e in s.exec(select(LedgerEntry)) if e.kind == "draw"}
            plans = s.exec(select(func.count()).select_from(Plan)).one()
    finally:
        engine.dispose()
    return draws, ledger, plans


def staging_leftovers(parent: Path, name: str) -> list[Path]:
    return sorted(parent.glob(f".{name}.*.tmp"))


def test_draw_killed_at_random_moments_is_all_or_nothing(
    db_url: str, crash_pool: Path, tmp_path: Path
) -> None:
    load_pool(db_url, crash_pool)
    outs = tmp_path / "out"
    outs.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("INSPECT_SCHED_DB", None)

    # A first, undisturbed draw tells how long one takes.
    t0 = time.monotonic()
    first = subprocess.run(
        draw_cmd(db_url, "10000000000000000000", outs / "baseline"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    duration = time.monotonic() - t0
    assert first.returncode == 0, first.stderr
    assert verify_bundle(outs / "baseline") == []

    rng = random.Random(20261201)
    outcomes: Counter[str] = Counter()
    leftovers = 0
    for k in range(KILLS):
        out = outs / f"d{k:02d}"
        before_draws, before_ledger, before_plans = state(db_url)
        proc = subprocess.Popen(
            draw_cmd(db_url, f"{20261201000000000000 + k}", out),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # Half spread over the whole draw, half over its last third, where it records and renames.
        delay = rng.uniform(0.0, duration) if k % 2 else rng.uniform(duration * 0.6, duration)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        finished = proc.returncode == 0

        draws, ledger_ids, plans = state(db_url)
        new = draws - before_draws
        assert len(new) <= 1
        assert ledger_ids - before_ledger == new, "a draw and its ledger entry exist together or not at all"
        left = staging_leftovers(outs, out.name)
        leftovers += len(left)
        assert all(p.name != out.name and p.name.startswith(".") for p in left)
        if not new:
            assert plans == before_plans, "a killed draw left a Plan behind"
            assert not out.exists(), f"nothing recorded, yet {out} exists"
            outcome = "nothing"
        elif out.exists():
            assert verify_bundle(out) == [], (
                f"kill {k} after {delay:.2f}s: --out is there but does not verify"
            )
            outcome = "complete"
        else:
            # Killed between the commit and the rename: export writes the bundle again.
            [draw_id] = new
            restored = outs / f"restored{k:02d}"
            cli_ok(db_url, "export", "--draw", str(draw_id), "--out", str(restored))
            assert verify_bundle(restored) == []
            outcome = "recorded_unrenamed"
        if finished:
            outcome += " (finished before the kill)"
        outcomes[outcome] += 1
        assert "ledger verified" in cli_ok(db_url, "ledger", "verify")

    # The database and the folder are still usable: a next draw works and verifies.
    last = subprocess.run(
        draw_cmd(db_url, "99999999999999999999", outs / "after"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert last.returncode == 0, last.stderr
    assert verify_bundle(outs / "after") == []
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")
    with Session(get_engine(db_url)) as s:
        current = s.exec(select(Draw).where(Draw.superseded_by.is_(None))).all()
        assert len(current) == 1, "exactly one current draw for (2026-12, task)"

    backend = db_url.split(":", 1)[0]
    print(
        f"\n[crash {backend}] draw takes {duration:.2f}s; {KILLS} kills: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + f"; hidden staging folders left next to --out: {leftovers}"
    )
    assert sum(outcomes.values()) == KILLS


# SIGKILL of the process itself the moment the transaction has committed, before the rename.
KILL_BEFORE_RENAME = (
    "import os, signal, sys; import inspect_sched.services.draws as d; "
    "d.publish_folder = lambda tmp, out: os.kill(os.getpid(), signal.SIGKILL); "
    "from inspect_sched.cli import main; sys.argv[0] = 'inspect-sched'; main()"
)


def test_killed_between_commit_and_rename_export_restores_the_bundle(db_url: str, tmp_path: Path) -> None:
    """The documented narrow window, hit deterministically: recorded, no --out; export restores it."""
    from helpers import small_pool

    small_pool(get_engine(db_url))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("INSPECT_SCHED_DB", None)
    out = tmp_path / "d"
    args = [
        "--db",
        db_url,
        "draw",
        "--period",
        "2026-12",
        "--seed",
        "27182818284590452353",
        "--out",
        str(out),
    ]
    p = subprocess.run(
        [sys.executable, "-c", KILL_BEFORE_RENAME, *args], env=env, capture_output=True, timeout=120
    )
    assert p.returncode == -signal.SIGKILL
    draws, ledger_ids, plans = state(db_url)
    assert len(draws) == 1 and ledger_ids == draws and plans == 1
    assert not out.exists()
    [staged] = staging_leftovers(tmp_path, "d")  # the complete staging folder, hidden
    assert staged.name.startswith(".d.")
    assert "ledger verified: 1 entries" in cli_ok(db_url, "ledger", "verify")
    # A retry with the same --out refuses nothing: the folder is free; export writes the recorded draw.
    [draw_id] = draws
    cli_ok(db_url, "export", "--draw", str(draw_id), "--out", str(out))
    assert verify_bundle(out) == []
    assert sorted(p.name for p in out.rglob("*")) == sorted(p.name for p in staged.rglob("*"))
