"""Benchmark the draw-v1 sampling core on a large single-stratum frame.

Times (a) the SHA-256 order tickets alone, (b) ``sampling.draw_stratum`` (π, seeded order,
exact systematic selection) and (c) a naive exact reference that makes a ``Fraction`` per
firm (π via Fraction, cumulative Fraction sums, the SPEC's ceil formula), and checks that
(b) and (c) agree.

    python scripts/bench_sampling.py               # 1,000,000 firms
    python scripts/bench_sampling.py --n-firms 50000 --skip-naive
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspect_sched.core.sampling import draw_stratum, ticket  # noqa: E402
from inspect_sched.schema.policy import load_policy  # noqa: E402

SEED = "27182818284590452353"
STRATUM = "general"
# A realistic mix: most firms blue/green and low/medium risk.
CREDIT_MIX = {"green": 30, "blue": 45, "yellow": 15, "red": 7, "black": 3}
RISK_MIX = {"low": 55, "medium": 35, "high": 10}


def build_frame(n_firms: int) -> list[tuple[str, Fraction]]:
    """A deterministic frame of ``n_firms`` (uscc-like id, weight) pairs."""
    policy = load_policy()
    rng = random.Random(20240601)
    credits = rng.choices(list(CREDIT_MIX), weights=list(CREDIT_MIX.values()), k=n_firms)
    risks = rng.choices(list(RISK_MIX), weights=list(RISK_MIX.values()), k=n_firms)
    weight = {(c, r): policy.weight(c, r) for c in CREDIT_MIX for r in RISK_MIX}
    # A fresh Fraction per firm, as a database-backed frame would give.
    return [
        (f"91430{i:013d}", Fraction(weight[c, r].numerator, weight[c, r].denominator))
        for i, (c, r) in enumerate(zip(credits, risks, strict=True))
    ]


def tickets_only(firms: Sequence[tuple[str, Fraction]]) -> int:
    """SHA-256 of every firm's order ticket (the floor any exact draw must pay)."""
    purpose = "order/" + STRATUM
    acc = 0
    for uscc, _ in firms:
        acc ^= int.from_bytes(hashlib.sha256(f"{SEED}|{purpose}|{uscc}".encode()).digest(), "big")
    return acc


def naive_draw(firms: Sequence[tuple[str, Fraction]], n: int) -> list[tuple[str, Fraction, bool]]:
    """The SPEC read literally: a Fraction per firm, capping loop per firm, Fraction sums."""
    weights = [w for _, w in firms]
    capped = [False] * len(firms)
    while True:
        m = n - sum(capped)
        rest = sum((w for w, c in zip(weights, capped, strict=True) if not c), Fraction(0))
        c = Fraction(m) / rest
        new = [i for i, w in enumerate(weights) if not capped[i] and c * w >= 1]
        if not new:
            break
        for i in new:
            capped[i] = True
    pis = [Fraction(1) if capped[i] else c * w for i, w in enumerate(weights)]
    keyed = sorted(
        (ticket(SEED, "order/" + STRATUM, uscc), uscc, pi) for (uscc, _), pi in zip(firms, pis, strict=True)
    )
    u = Fraction(ticket(SEED, "start/" + STRATUM, ""), 2**256)
    out = []
    cum = Fraction(0)
    prev = math.ceil(cum - u)
    for _, uscc, pi in keyed:
        cum += pi
        now = math.ceil(cum - u)
        out.append((uscc, pi, now - prev == 1))
        prev = now
    return out


def timed(fn, *args):
    """(wall seconds, result); the CPU seconds of the last call go to ``timed.cpu``."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn(*args)
    timed.cpu = time.process_time() - c0
    return time.perf_counter() - t0, result


timed.cpu = 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-firms", type=int, default=1_000_000)
    ap.add_argument("--ratio", type=Fraction, default=Fraction(5, 100), help="sample ratio (default 0.05)")
    ap.add_argument("--skip-naive", action="store_true", help="skip the slow Fraction-per-firm reference")
    args = ap.parse_args()

    t_build, firms = timed(build_frame, args.n_firms)
    n = min(len(firms), math.ceil(args.ratio * len(firms)))
    print(f"frame: {len(firms):,} firms, n = {n:,} (built in {t_build:.2f} s)")

    # CPU seconds beside wall seconds: on a shared machine the wall clock also counts
    # the time other processes held the cores.
    rows: list[tuple[str, float, float, str]] = []
    t_sha, _ = timed(tickets_only, firms)
    rows.append(("SHA-256 tickets alone", t_sha, timed.cpu, ""))
    t_fast, fast = timed(draw_stratum, SEED, STRATUM, firms, n)
    selected = sum(r.selected for r in fast)
    rows.append(("draw_stratum (exact)", t_fast, timed.cpu, f"{selected:,} selected"))
    if not args.skip_naive:
        t_naive, naive = timed(naive_draw, firms, n)
        same = [(r.uscc, r.pi, r.selected) for r in fast] == naive
        rows.append(("naive Fraction reference", t_naive, timed.cpu, "identical" if same else "DIFFERENT!"))

    print(f"{'step':<28}{'wall s':>8}{'cpu s':>8}  note")
    print("-" * 62)
    for name, secs, cpu, note in rows:
        print(f"{name:<28}{secs:>8.2f}{cpu:>8.2f}  {note}")
    if not args.skip_naive:
        print(f"speed-up over naive: {t_naive / t_fast:.1f}×")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
