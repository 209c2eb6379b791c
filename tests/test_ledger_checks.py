"""The ledger's per-kind checks are passed in explicitly: no check depends on which modules
happen to be imported, and a kind without a check is reported, never passed silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from inspect_sched.audit import ledger
from inspect_sched.services.ledger import LEDGER_CHECKS
from inspect_sched.store.db import get_engine
from tests.helpers import cli_ok, draw, full_results, results_csv, small_pool


def _recorded(tmp_path: Path) -> str:
    """A SQLite database with one draw and its results imported (a "results" ledger entry)."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    cli_ok(url, "init")
    engine = get_engine(url)
    small_pool(engine)
    draw(engine, tmp_path / "b")
    cli_ok(url, "results", "import", str(results_csv(tmp_path / "r.csv", full_results(engine, 1))), "--draw", "1")
    return url


def test_results_entries_are_checked_without_import_side_effects(tmp_path: Path) -> None:
    url = _recorded(tmp_path)
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql("UPDATE result SET result = '未发现问题'")
    # A fresh interpreter importing nothing but the service that verifies: the results check
    # must apply (it used to be registered only if services.results had been imported).
    code = (
        "import sys\n"
        "from inspect_sched.services.ledger import verify_ledger\n"
        "from inspect_sched.store.db import get_engine\n"
        "problems, n = verify_ledger(get_engine(sys.argv[1]))\n"
        "print(n); print('\\n'.join(problems))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    assert out.splitlines()[0] == "2"
    assert "draw 1: results changed since ledger entry 2" in out


def test_a_kind_without_a_check_is_reported_not_passed(tmp_path: Path) -> None:
    url = _recorded(tmp_path)
    with Session(get_engine(url)) as session:
        assert ledger.verify(session, LEDGER_CHECKS) == []
        problems = ledger.verify(session, ledger.LedgerChecks())
    assert problems == ["ledger entry 2: kind 'results' has no check (written by a newer inspect-sched?)"]
