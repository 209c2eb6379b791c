"""Benchmark the whole `draw` command (and the import) at city and province scale.

    .venv/bin/python scripts/bench_draw.py city       # bundled fixtures: 3,000 firms, 235 inspectors
    .venv/bin/python scripts/bench_draw.py province   # synthetic: 100,000 firms, 3,000 inspectors

Each step runs `inspect-sched` in a fresh process on a fresh SQLite database, exactly as a
user would; wall seconds and the child's peak memory are reported. Pools are made with
`fixtures generate` (fixed seeds), so the work is the same on every run.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOADS = [("enterprises", "enterprises.csv"), ("inspectors", "inspectors.csv"),
         ("positive-list", "positive_list.csv"), ("conflicts", "conflicts.csv"), ("history", "history.csv")]
SEED = "31415926535897932384"

# City: about 100 drawn firms, as the issue sets it. Province: about 5,000 out of 100,000.
POLICIES = {
    "city": '[strata.key]\nratio = "0.25"\n[strata.general]\nratio = "0.02"\n[strata.special]\ncount = 15\n',
    "province": '[strata.key]\nratio = "0.25"\n[strata.general]\nratio = "0.05"\n[strata.special]\ncount = 500\n',
}


def run(db: str, *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "inspect_sched", "--db", db, *args],
                       capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{p.stdout}{p.stderr}")
    return elapsed, p.stdout


def main(scale: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if scale == "city":
            pool = REPO / "fixtures"
        else:
            pool = work / "pool"
            t, _ = run("sqlite://", "fixtures", "generate", "--enterprises", "100000", "--inspectors", "3000",
                       "--seed", "province", "--out", str(pool))
            print(f"generate 100,000 firms / 3,000 inspectors: {t:6.1f} s")
        db = f"sqlite:///{work / 'bench.db'}"
        for kind, name in LOADS:
            t, out = run(db, "import", kind, str(pool / name))
            print(f"import {kind:<14} {t:6.1f} s   {out.strip()}")
        policy = work / "policy.toml"
        policy.write_text(POLICIES[scale], encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t, out = run(db, "draw", "--period", "2026-12", "--seed", SEED, "--policy", str(policy),
                     "--out", str(work / "bundle"))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        drawn = next(line for line in out.splitlines() if "firms drawn" in line).strip()
        print(f"draw (whole command)   {t:6.1f} s   peak RSS {max(peak, before) / 1024:.0f} MB (max over children)")
        print(f"  {drawn}")
        t, out = run(db, "verify", str(work / "bundle"))
        print(f"verify                 {t:6.1f} s   {out.strip()}")
        # The auditor's kit: standard library only, in a bare interpreter (-I -S), as an auditor runs it.
        run(db, "auditor-kit", "--out", str(work / "kit"))
        t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        k = subprocess.run([sys.executable, "-I", "-S", str(work / "kit" / "inspect-sched-verify.pyz"),
                            str(work / "bundle")], capture_output=True, text=True)
        t, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        print(f"auditor's kit          {t:6.1f} s   ({cpu:.1f} s CPU)  {(k.stdout + k.stderr).strip().splitlines()[0]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "city")
