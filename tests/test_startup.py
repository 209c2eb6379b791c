"""Quick start: ``--help`` and usage errors load neither the database layer nor the solver.

Timing is measured by scripts/bench.py, not here; this test guards the cause (heavy imports
at start-up), which is what made every command take 1–3 s to start.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "ortools", "numpy", "matplotlib", "openpyxl", "alembic", "faker")

PROBE = """
import sys
from inspect_sched.cli import main
sys.argv = ["inspect-sched", *{args!r}]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.parametrize("args", [
    ["--help"],
    ["draw", "--help"],
    ["import", "enterprises", "--help"],
    ["draw", "--period", "2026-12"],  # usage error: --seed and --out missing
    ["no-such-command"],
])
def test_start_up_loads_nothing_heavy(args: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True, text=True, check=True,
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("HEAVY=")][-1]
    assert line == "HEAVY=", f"{args}: imported at start-up: {line[6:]}"
