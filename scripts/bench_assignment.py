"""Benchmark the assignment core (inspect_sched.core.assignment) at city and province scale.

    .venv/bin/python scripts/bench_assignment.py            # every scenario
    .venv/bin/python scripts/bench_assignment.py city-plain  # one scenario

Each scenario runs in a fresh subprocess so that its peak memory (ru_maxrss) is its own.
Synthetic data, fixed seeds: the figures are reproducible up to machine speed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspect_sched.core.assign import Rules, assign, check_assignment, pair_exclusions  # noqa: E402
from inspect_sched.core.inputs import Conflict, Firm, InspectorRec  # noqa: E402

ECO, MARKET = "生态环境", "市场监管"
SCENARIOS = {
    # name: (drawn firms, inspectors, districts, departments, share of firms tagged 辐射)
    "city-plain": (100, 235, 9, (ECO,), 0.0),
    "city-special": (100, 235, 9, (ECO, MARKET), 0.1),
    "province-plain": (5000, 3000, 120, (ECO,), 0.0),
    "province-specialty": (5000, 3000, 120, (ECO,), 0.1),
    "province-joint-subset": (500, 3000, 120, (ECO, MARKET), 0.1),
}


def build(name: str):
    n_firms, n_insp, n_districts, departments, tagged = SCENARIOS[name]
    rnd = random.Random(name)
    districts = [f"区{d:03d}" for d in range(n_districts)]
    # Drawn firms: a sample of the 100,000-firm province (or a city's firms).
    firms = [
        Firm(
            uscc=f"9143{n:014d}",
            name=f"企业{n}",
            district=rnd.choice(districts),
            category="general",
            credit="blue",
            risk="low",
            status="active",
            industry="",
            address="",
            tags=("辐射",) if rnd.random() < tagged else (),
        )
        for n in rnd.sample(range(100_000), n_firms)
    ]
    inspectors = []
    for n in range(n_insp):
        dept = MARKET if len(departments) > 1 and n % 3 == 2 else ECO
        inspectors.append(
            InspectorRec(
                inspector_id=f"ZZ-{n:05d}",
                name=f"检查员{n}",
                unit="",
                district=districts[n % n_districts],
                department=dept,
                cert_valid_until=dt.date(2027, 12, 31) if rnd.random() > 0.02 else dt.date(2024, 12, 31),
                active=rnd.random() > 0.02,
                specialties=("辐射",) if rnd.random() < 0.12 else (),
            )
        )
    conflicts = [
        Conflict(rnd.choice(inspectors).inspector_id, rnd.choice(firms).uscc, "亲属")
        for _ in range(max(5, n_firms // 50))
    ]
    rules = Rules(
        team_size=2,
        max_per_inspector=6,
        cross_district=True,
        rotation_days=365,
        specialty_required={"辐射": "辐射"},
        departments=departments,
    )
    return firms, inspectors, conflicts, rules


def run_one(name: str) -> dict:
    firms, inspectors, conflicts, rules = build(name)
    t0 = time.perf_counter()
    exclusions = pair_exclusions(
        firms, inspectors, conflicts, [], rules, dt.date(2025, 7, 1), dt.date(2025, 9, 30)
    )
    t1 = time.perf_counter()
    result = assign("20250701-bench", firms, inspectors, exclusions, rules)
    t2 = time.perf_counter()
    problems = check_assignment("20250701-bench", firms, inspectors, exclusions, rules, result)
    t3 = time.perf_counter()
    return {
        "scenario": name,
        "firms": len(firms),
        "inspectors": len(inspectors),
        "departments": len(rules.departments),
        "tagged": sum(1 for f in firms if f.tags),
        "excluded_pairs": len(exclusions),
        "exclusions_s": round(t1 - t0, 2),
        "assign_s": round(t2 - t1, 2),
        "check_s": round(t3 - t2, 2),
        "solver": result.solver,
        "objective": result.objective,
        "check_ok": not problems,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--one":
        print(json.dumps(run_one(argv[1]), ensure_ascii=False))
        return 0
    names = argv or list(SCENARIOS)
    for name in names:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=False
        )
        if out.returncode:
            print(f"{name}: FAILED\n{out.stderr}")
            return 1
        r = json.loads(out.stdout)
        print(
            f"{r['scenario']:24} {r['firms']:5} firms {r['inspectors']:5} inspectors "
            f"dept={r['departments']} tagged={r['tagged']:4}  exclusions {r['exclusions_s']:6.2f}s  "
            f"assign {r['assign_s']:6.2f}s  check {r['check_s']:5.2f}s  peak {r['peak_rss_mb']:5} MB  "
            f"{r['solver']}  ok={r['check_ok']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
