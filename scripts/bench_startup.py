"""Start-up time of the command line against the bare interpreter (issue 10: `--help` < 0.3 s).

Runs each command N times in a fresh process and prints the median wall and CPU seconds, as a
Markdown table for the README. CPU time (user + sys of the child) is the figure to compare on
a shared machine; wall time is shown beside it.

    python scripts/bench_startup.py [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

CASES = [
    ("bare interpreter (`python -c pass`)", [sys.executable, "-c", "pass"]),
    ("`inspect-sched --help`", [sys.executable, "-m", "inspect_sched", "--help"]),
    ("`inspect-sched draw --help`", [sys.executable, "-m", "inspect_sched", "draw", "--help"]),
    ("usage error (`inspect-sched draw --period 2026-12`)", [sys.executable, "-m", "inspect_sched", "draw", "--period", "2026-12"]),
]


def measure(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(cmd[0], cmd)
    _, _, usage = os.wait4(pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    subprocess.run(CASES[1][1], capture_output=True, check=False)  # warm the file cache
    print("| command | median wall | median CPU |")
    print("|---|---|---|")
    for label, cmd in CASES:
        runs = [measure(cmd) for _ in range(n)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"| {label} | {wall:.3f} s | {cpu:.3f} s |")


if __name__ == "__main__":
    main()
