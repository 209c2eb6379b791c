"""The draw-v1 sampling core (SPEC §4): golden vectors, capping, selection statistics."""

from __future__ import annotations

import gc
import hashlib
import json
import math
import random
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_sched.core.sampling import (
    StratumDraw,
    assign_cost,
    draw_stratum,
    inclusion_probabilities,
    sample_size,
    ticket,
)
from inspect_sched.schema.policy import StratumRule, decimal_string

VECTORS = Path(__file__).resolve().parent / "vectors"  # golden copies of ../shared/vectors
F = Fraction


def _frac(p: Fraction) -> str:
    return f"{p.numerator}/{p.denominator}"


def _rule(raw: str) -> StratumRule:
    if raw == "full_coverage":
        return StratumRule(full_coverage=True)
    return StratumRule(ratio=F(raw))


def _firms(n: int, rng: random.Random, weights: list[Fraction]) -> list[tuple[str, Fraction]]:
    return [(f"F{i:04d}", rng.choice(weights)) for i in range(n)]


def _reference_draw(seed: str, stratum: str, firms, n: int) -> list[tuple[str, Fraction, bool]]:
    """SPEC §4 read literally, one Fraction per firm and the ceil formula as written."""
    weights = [w for _, w in firms]
    capped = [False] * len(firms)
    c = F(0)
    while True:
        m = n - sum(capped)
        rest = sum((w for w, k in zip(weights, capped, strict=True) if not k), F(0))
        c = F(m) / rest if rest else F(0)
        new = [i for i, w in enumerate(weights) if not capped[i] and c * w >= 1]
        if not new:
            break
        for i in new:
            capped[i] = True
    pis = [F(1) if capped[i] else c * w for i, w in enumerate(weights)]
    rows = sorted((ticket(seed, "order/" + stratum, u), u, p) for (u, _), p in zip(firms, pis, strict=True))
    u0 = F(ticket(seed, "start/" + stratum, ""), 2**256)
    out, cum = [], F(0)
    for _, uscc, p in rows:
        before = math.ceil(cum - u0)
        cum += p
        out.append((uscc, p, math.ceil(cum - u0) - before == 1))
    return out


# ---------------------------------------------------------------- golden vectors


@pytest.fixture(scope="module")
def vectors() -> dict:
    return json.loads((VECTORS / "draw-v1.json").read_text(encoding="utf-8"))


def test_ticket_examples(vectors: dict) -> None:
    examples = vectors["ticket_examples"]
    assert examples
    for ex in examples:
        if "ticket_hex" in ex:
            t = ticket(ex["seed"], ex["purpose"], ex["key"])
            assert f"{t:064x}" == ex["ticket_hex"]
        else:
            assert ex["purpose"] == "assign"
            uscc, inspector = ex["key"].split("|")
            assert assign_cost(ex["seed"], uscc, inspector) == ex["cost_top40"]
            assert assign_cost(ex["seed"], uscc, inspector) == ticket(ex["seed"], "assign", ex["key"]) >> 216


def test_ticket_is_sha256_of_utf8() -> None:
    raw = "种子|order/key|9143020771KM2U9ALM".encode()
    assert ticket("种子", "order/key", "9143020771KM2U9ALM") == int.from_bytes(
        hashlib.sha256(raw).digest(), "big"
    )
    assert 0 <= assign_cost("s", "u", "i") < 2**40


@pytest.mark.parametrize("stratum", ["general", "key", "special"])
def test_golden_strata(vectors: dict, stratum: str) -> None:
    seed = vectors["seed"]
    credit = {k: F(v) for k, v in vectors["credit_weight"].items()}
    risk = {k: F(v) for k, v in vectors["risk_weight"].items()}
    expected = vectors["strata"][stratum]
    rows = expected["order"]
    firms = [(r["uscc"], credit[r["credit"]] * risk[r["risk"]]) for r in rows]
    n = sample_size(_rule(vectors["ratios"][stratum]), len(firms))
    assert n == expected["n"], "sample_size disagrees with the vector's n"
    # Feed them in a different order than the expected one: the result must not care.
    shuffled = sorted(firms, key=lambda f: f[0])
    got = draw_stratum(seed, stratum, shuffled, n)
    assert [r.uscc for r in got] == [r["uscc"] for r in rows]
    for g, e in zip(got, rows, strict=True):
        assert decimal_string(g.weight) == e["weight"]
        assert _frac(g.pi) == e["pi"]
        assert int(g.selected) == e["selected"]
        assert g.order_ticket == ticket(seed, "order/" + stratum, g.uscc)
    assert sum(r.selected for r in got) == n


# ---------------------------------------------------------------- sample size


def test_sample_size_rules() -> None:
    assert sample_size(StratumRule(full_coverage=True), 17) == 17
    assert sample_size(StratumRule(count=5), 17) == 5
    assert sample_size(StratumRule(count=50), 17) == 17
    assert sample_size(StratumRule(ratio=F("0.05")), 35) == 2  # ceil(1.75)
    assert sample_size(StratumRule(ratio=F("0.25")), 20) == 5  # exactly 5, no rounding up
    assert sample_size(StratumRule(ratio=F("0.25")), 21) == 6
    assert sample_size(StratumRule(ratio=F(0)), 21) == 0
    assert sample_size(StratumRule(ratio=F(1)), 21) == 21
    assert sample_size(StratumRule(ratio=F("0.1")), 0) == 0
    # 0.1 × 30 is exactly 3 (a float would give 3.0000000000000004 → 4).
    assert sample_size(StratumRule(ratio=F("0.1")), 30) == 3


# ---------------------------------------------------------------- capping


def _check_pi(pis: list[Fraction], n: int) -> None:
    assert sum(pis) == n
    assert all(isinstance(p, Fraction) for p in pis)
    assert all(0 <= p <= 1 for p in pis)
    if n > 0:
        assert all(p > 0 for p in pis)


def test_pi_proportional_without_caps() -> None:
    pis = inclusion_probabilities([F(1), F(2), F(3), F(4)], 2)
    assert pis == [F(1, 5), F(2, 5), F(3, 5), F(4, 5)]
    _check_pi(pis, 2)


def test_one_huge_weight_is_certain() -> None:
    pis = inclusion_probabilities([F(100), F(1), F(1), F(1), F(1)], 2)
    assert pis == [F(1), F(1, 4), F(1, 4), F(1, 4), F(1, 4)]
    _check_pi(pis, 2)


def test_cascading_caps() -> None:
    # Round 1: c = 3/22, only 12 is capped (12·3/22 ≥ 1); round 2: c = 2/10, now 5 is
    # capped too (5·2/10 = 1); round 3: c = 1/5 and the rest stay below 1.
    weights = [F(12), F(5), F(2), F(1), F(1), F(1)]
    pis = inclusion_probabilities(weights, 3)
    assert pis == [F(1), F(1), F(2, 5), F(1, 5), F(1, 5), F(1, 5)]
    _check_pi(pis, 3)


def test_cap_at_exactly_one() -> None:
    # c·w = 1 exactly counts as capped (≥ 1), and the remainder is shared by the others.
    pis = inclusion_probabilities([F(2), F(1), F(1)], 2)
    assert pis == [F(1), F(1, 2), F(1, 2)]


def test_full_and_empty_samples() -> None:
    weights = [F(1, 2), F(3), F(9, 4), F(1)]
    assert inclusion_probabilities(weights, 4) == [F(1)] * 4
    assert inclusion_probabilities(weights, 0) == [F(0)] * 4
    assert inclusion_probabilities([], 0) == []


def test_equal_weights_equal_pi_fractional_weights() -> None:
    weights = [F("0.5"), F("0.75"), F("0.5"), F("4.5"), F("0.75"), F(8)]
    pis = inclusion_probabilities(weights, 2)
    _check_pi(pis, 2)
    assert pis[0] == pis[2] and pis[1] == pis[4]
    assert pis[5] == 1
    assert pis[3] == F("4.5") / (F("0.5") * 2 + F("0.75") * 2 + F("4.5"))


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: inclusion_probabilities([F(1), F(2)], 3), ValueError, "sample size 3 is not between 0 and the 2 firms"),
    (lambda: inclusion_probabilities([F(1), F(0)], 1), ValueError, "weights must be positive, got 0"),
    (lambda: inclusion_probabilities([F(1), 0.5, F(2)], 1), TypeError, "weights must be exact (Fraction or int), got 0.5"),
    (lambda: draw_stratum("s", "key", [("A", F(1)), ("B", F(1)), ("B", F(2))], 1), ValueError,
     "firm B appears more than once"),
    (lambda: draw_stratum("s", "key", [], 1), ValueError, "stratum key: cannot draw 1 of 0 firms"),
    (lambda: sample_size(StratumRule(ratio=F(1, 2)), -1), ValueError, "n_eligible must be ≥ 0, got -1"),
    (lambda: sample_size(StratumRule(), 10), ValueError, "stratum rule has neither ratio, count nor full_coverage"),
    (lambda: sample_size(StratumRule(ratio=F(3, 2)), 10), ValueError, "ratio 3/2 is not between 0 and 1"),
])
def test_bad_inputs_are_refused_naming_the_value(call, error: type[Exception], message: str) -> None:
    """A refusal names what is wrong (the value, the firm, the stratum), not just that something is."""
    with pytest.raises(error) as exc:
        call()
    assert str(exc.value) == message


def test_empty_stratum_draws_nothing() -> None:
    assert draw_stratum("s", "key", [], 0) == []


def test_draw_leaves_garbage_collection_as_it_found_it() -> None:
    """draw_stratum pauses the collector for speed; the caller's setting must come back."""
    firms = [(f"F{i}", F(1 + i % 3)) for i in range(20)]
    was = gc.isenabled()
    try:
        gc.enable()
        draw_stratum("s", "key", firms, 5)
        assert gc.isenabled()
        gc.disable()
        draw_stratum("s", "key", firms, 5)
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


# ---------------------------------------------------------------- selection


def test_matches_literal_reference() -> None:
    rng = random.Random(7)
    weights = [F(v) for v in ("0.5", "0.75", "1", "1.5", "2", "3", "4", "4.5", "6", "8", "40")]
    for trial in range(40):
        firms = _firms(rng.randint(1, 40), rng, weights)
        n = rng.randint(0, len(firms))
        seed = f"seed-{trial}"
        got = draw_stratum(seed, "general", firms, n)
        assert [(r.uscc, r.pi, r.selected) for r in got] == _reference_draw(seed, "general", firms, n)


def test_input_order_independence() -> None:
    rng = random.Random(11)
    firms = _firms(200, rng, [F("0.5"), F(1), F("1.5"), F(3), F(8), F(60)])
    base = draw_stratum("2024Q3", "key", firms, 30)
    assert all(isinstance(r, StratumDraw) for r in base)
    for _ in range(5):
        shuffled = firms[:]
        rng.shuffle(shuffled)
        assert draw_stratum("2024Q3", "key", shuffled, 30) == base
    # The seed and the stratum name both change the draw.
    assert draw_stratum("2024Q4", "key", firms, 30) != base
    assert draw_stratum("2024Q3", "general", firms, 30) != base


def test_rows_are_frozen() -> None:
    row = draw_stratum("s", "key", [("A", F(1))], 1)[0]
    assert row == StratumDraw(
        uscc="A", weight=F(1), pi=F(1), order_ticket=ticket("s", "order/key", "A"), selected=True
    )
    with pytest.raises(AttributeError):
        row.selected = False  # type: ignore[misc]


def test_monte_carlo_inclusion_frequencies() -> None:
    """Over R seeds, each firm's selection frequency matches its π.

    Tolerance: 4 standard errors, |f̂ − π| ≤ 4·sqrt(π(1−π)/R). With 12 firms the chance of
    any false alarm is about 12 × 6e-5 < 0.1% (normal approximation); the test is also
    deterministic (fixed seeds), so it cannot flake.
    """
    weights = [F(30), F(1), F(1), F("1.5"), F(2), F(2), F(3), F("0.5"), F("0.75"), F(4), F(1), F(6)]
    firms = [(f"9143{i:014d}", w) for i, w in enumerate(weights)]
    n, runs = 4, 3000
    pis = dict(zip((u for u, _ in firms), inclusion_probabilities(weights, n), strict=True))
    assert pis[firms[0][0]] == 1 and all(p < 1 for u, p in pis.items() if u != firms[0][0])
    hits: Counter[str] = Counter()
    for r in range(runs):
        rows = draw_stratum(f"mc-{r}", "general", firms, n)
        chosen = [row.uscc for row in rows if row.selected]
        assert len(chosen) == n
        assert firms[0][0] in chosen  # the certainty firm, every time
        hits.update(chosen)
    for uscc, pi in pis.items():
        freq = F(hits[uscc], runs)
        tolerance = 4 * math.sqrt(float(pi * (1 - pi)) / runs)
        assert abs(float(freq - pi)) <= tolerance, (uscc, float(freq), float(pi))


_weight_values = st.sampled_from([F(v) for v in ("0.5", "0.75", "1", "1.5", "2", "3", "4", "4.5", "6", "8")])


@settings(max_examples=150, deadline=None)
@given(
    weights=st.lists(
        st.one_of(
            _weight_values, st.fractions(min_value=F(1, 1000), max_value=F(1000), max_denominator=1000)
        ),
        min_size=1,
        max_size=60,
    ),
    data=st.data(),
)
def test_property_exact_n_and_certainties(weights: list[Fraction], data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=0, max_value=len(weights)), label="n")
    seed = data.draw(st.text(min_size=0, max_size=12), label="seed")
    firms = [(f"U{i}", w) for i, w in enumerate(weights)]
    rows = draw_stratum(seed, "special", firms, n)
    _check_pi([r.pi for r in rows], n)
    assert sum(r.selected for r in rows) == n
    assert all(r.selected for r in rows if r.pi == 1)
    assert not any(r.selected for r in rows if r.pi == 0)
    by_uscc = {r.uscc: r.pi for r in rows}
    assert [by_uscc[u] for u, _ in firms] == inclusion_probabilities(weights, n)
    order_keys = [(r.order_ticket, r.uscc) for r in rows]
    assert order_keys == sorted(order_keys)
