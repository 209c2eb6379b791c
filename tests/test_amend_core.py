"""amend-v1 core (SPEC §7): golden vectors, exact team search, properties, Monte Carlo."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_sched.core import amend
from inspect_sched.core.assign import Assignment, Rules, check_assignment, pair_exclusions
from inspect_sched.core.inputs import Conflict, Firm, Inputs, InspectorRec
from inspect_sched.core.tickets import assign_cost
from inspect_sched.errors import AmendmentRefused

VECTORS = Path(__file__).resolve().parent / "vectors"  # golden copies of ../shared/vectors
FIRST, LAST = dt.date(2025, 7, 1), dt.date(2025, 9, 30)
ECO = "生态环境"


def _firm(uscc: str, district: str = "荷塘区", tags: tuple[str, ...] = (), category: str = "general") -> Firm:
    return Firm(uscc, "企业" + uscc[-4:], district, category, "blue", "low", "active", "", "", tuple(tags))


def _insp(iid: str, district: str, specialties: tuple[str, ...] = (), department: str = ECO) -> InspectorRec:
    return InspectorRec(iid, "检查员" + iid[-2:], "", district, department, dt.date(2030, 1, 1), True,
                        tuple(specialties))


@pytest.fixture(scope="module")
def vector() -> dict:
    return json.loads((VECTORS / "amend-v1.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- replacement vectors


@pytest.mark.parametrize("index", [0, 1])
def test_replacement_vectors(vector: dict, index: int) -> None:
    seed = vector["replace"]["seed"]
    s = vector["replace"]["strata"][index]
    candidates = [(c["uscc"], Fraction(c["weight"])) for c in s["candidates"]]
    got = []
    for k in (1, 2, 3):
        left = [c for c in candidates if c[0] not in got]
        got.append(amend.replacement_firm(seed, s["stratum"], k, left))
    assert got == s["replacements"]


def test_replacement_vectors_through_replace_firm(vector: dict) -> None:
    """The same replacements through the full replace_firm path (frame, taken set, k counter)."""
    seed = vector["replace"]["seed"]
    for s in vector["replace"]["strata"]:
        cands = s["candidates"]
        drawn = [f"9143020{n:010d}" for n in range(3)]
        frame = [amend.FrameEntry(c["uscc"], s["stratum"], Fraction(c["weight"]), False, True) for c in cands]
        frame += [amend.FrameEntry(u, s["stratum"], Fraction(1), True, True) for u in drawn]
        firms = [_firm(c["uscc"], "A") for c in cands] + [_firm(u, "A") for u in drawn]
        inspectors = [_insp(f"ZZ-{n}", "B") for n in range(8)]
        ctx = amend.Context(seed, Rules(2, 6, True, 365), FIRST, LAST, Inputs(firms, inspectors, [], [], []),
                            frame, [(u, ("ZZ-0", "ZZ-1")) for u in drawn])
        state = amend.initial_state(ctx)
        got = []
        for u in drawn:
            rows = amend.replace_firm(ctx, state, u)
            amend.apply(state, rows)
            got.append(rows[0].replacement)
        assert got == s["replacements"]


# --------------------------------------------------------------------------- substitution vectors


def _substitute_context(vector: dict) -> amend.Context:
    a = json.loads((VECTORS / "assign-v1.json").read_text(encoding="utf-8"))
    firms = [_firm(x["uscc"], x["district"], tuple(x["tags"])) for x in a["firms"]]
    inspectors = [_insp(x["inspector_id"], x["district"], tuple(x["specialties"])) for x in a["inspectors"]]
    conflicts = [Conflict(i, u, "") for i, u in a["conflicts"]]
    r = a["rules"]
    rules = Rules(r["team_size"], vector["substitute"]["max_per_inspector"], r["cross_district"], 0,
                  dict(r["specialty_required"]))
    before = vector["substitute"]["teams_before"]
    drawn = [(f.uscc, tuple(before[f.uscc])) for f in firms]
    frame = [amend.FrameEntry(f.uscc, "general", Fraction(1), True, True) for f in firms]
    return amend.Context(vector["substitute"]["seed"], rules, FIRST, LAST,
                         Inputs(firms, inspectors, [], conflicts, []), frame, drawn)


def test_substitute_vectors(vector: dict) -> None:
    ctx = _substitute_context(vector)
    state = amend.initial_state(ctx)
    steps = vector["substitute"]["steps"]
    rows = amend.substitute(ctx, state, "ZZ-0006", None)
    amend.apply(state, rows)
    rows2 = amend.substitute(ctx, state, "ZZ-0001", ["91430200MA4L0002XG"])
    amend.apply(state, rows2)
    all_rows = rows + rows2
    assert [r.uscc for r in all_rows] == [s["uscc"] for s in steps]
    for r, s in zip(all_rows, steps, strict=True):
        assert list(r.team) == s["team_after"]
        assert sorted({*s["team_before"]} - {*s["team_after"]}) == [r.inspector_id]
        assert [r.replacement] == sorted({*s["team_after"]} - {*s["team_before"]})
    assert {u: list(state.teams[u]) for u in state.order} == vector["substitute"]["teams_after"]
    # ZZ-0006 is gone for the rest of the draw; ZZ-0001 only for that firm.
    assert "ZZ-0006" in state.unavailable
    assert ("91430200MA4L0002XG", "ZZ-0001") in state.barred


def test_substitute_refusals_name_the_rule(vector: dict) -> None:
    ctx = _substitute_context(vector)
    state = amend.initial_state(ctx)
    with pytest.raises(AmendmentRefused, match="on no team"):
        amend.substitute(ctx, state, "ZZ-9999", None)
    with pytest.raises(AmendmentRefused, match="not on the team"):
        amend.substitute(ctx, state, "ZZ-0002", ["91430200MA4L0002XG"])
    with pytest.raises(AmendmentRefused, match="not in the draw"):
        amend.substitute(ctx, state, "ZZ-0002", ["91430200MA4L0009XX"])
    # 0002 has tag 辐射: its team is ZZ-0001 and ZZ-0003 (both 辐射). Take out 0003, then 0001:
    # nobody else has 辐射, so the specialty rule blocks.
    amend.apply(state, amend.substitute(ctx, state, "ZZ-0003", ["91430200MA4L0002XG"]))
    with pytest.raises(AmendmentRefused, match="specialty 辐射"):
        amend.substitute(ctx, state, "ZZ-0001", ["91430200MA4L0002XG"])


# --------------------------------------------------------------------------- exact team search


def _brute_team(seed: str, firm: Firm, pool: list[InspectorRec], rules: Rules):
    best = None
    for team in combinations(sorted(pool, key=lambda i: i.inspector_id), rules.k):
        if not all(any(amend.covers(m, n) for m in team) for n in amend.needs_of(firm, rules)):
            continue
        key = (sum(assign_cost(seed, firm.uscc, m.inspector_id) for m in team), tuple(m.inspector_id for m in team))
        best = key if best is None or key < best else best
    return None if best is None else best[1]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.text("0123456789", min_size=1, max_size=8),
    specs=st.lists(st.tuples(st.booleans(), st.booleans(), st.sampled_from([ECO, "市场监管"])), min_size=0, max_size=9),
    tags=st.sets(st.sampled_from(["辐射", "涉危废"]), max_size=2),
    team_size=st.integers(2, 3),
    joint=st.booleans(),
)
def test_least_cost_team_equals_brute_force(seed, specs, tags, team_size, joint) -> None:
    pool = [_insp(f"ZZ-{n:02d}", "B", tuple(s for s, on in (("辐射", a), ("危废", b)) if on), dept)
            for n, (a, b, dept) in enumerate(specs)]
    rules = Rules(team_size, 6, True, 0, {"辐射": "辐射", "涉危废": "危废"},
                  (ECO, "市场监管") if joint else (ECO,))
    firm = _firm("91430200MA4L0001XF", "A", tuple(sorted(tags)))
    assert amend.least_cost_team(seed, firm, pool, rules) == _brute_team(seed, firm, pool, rules)


def test_least_cost_team_tie_goes_to_smaller_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(amend, "assign_cost", lambda seed, u, i: 5)
    pool = [_insp(f"ZZ-{n}", "B") for n in (4, 2, 9, 3)]
    assert amend.least_cost_team("s", _firm("X"), pool, Rules(2, 6, True, 0)) == ("ZZ-2", "ZZ-3")


def test_team_search_city_scale_is_fast() -> None:
    import time

    rng = random.Random(7)
    pool = [_insp(f"ZZ{n:04d}", "B", tuple(s for s in ("辐射", "危废") if rng.random() < 0.2),
                  ECO if n % 3 else "市场监管") for n in range(235)]
    rules = Rules(3, 6, True, 0, {"辐射": "辐射", "涉危废": "危废"}, (ECO, "市场监管"))
    firm = _firm("91430200MA4L0001XF", "A", ("辐射", "涉危废"))
    t = time.perf_counter()
    for n in range(20):
        team = amend.least_cost_team(f"seed{n}", firm, pool, rules)
        assert team is not None and len(team) == 3
    assert time.perf_counter() - t < 20  # generous: ~0.05 s each on the 2-core build machine


# --------------------------------------------------------------------------- Monte Carlo


def test_replacement_chance_is_weight_over_total() -> None:
    """Over 20 000 seeds each candidate is picked with frequency w / Σw: 5 standard errors
    (≤ 0.0175 for p ≤ 0.5 at this size) is the tolerance; a wrong rule (uniform, or the
    draw's own π) is off by more than 0.05 for the heaviest candidate."""
    weights = {"A": Fraction(4), "B": Fraction(2), "C": Fraction(1), "D": Fraction(1, 2), "E": Fraction(1, 2)}
    total = sum(weights.values())
    runs = 20_000
    hits = Counter(amend.replacement_firm(f"mc{n}", "general", 1 + n % 3, list(weights.items())) for n in range(runs))
    for u, w in weights.items():
        p = w / total
        se = (float(p * (1 - p)) / runs) ** 0.5
        assert abs(hits[u] / runs - float(p)) < 5 * se, (u, hits[u], float(p))


# --------------------------------------------------------------------------- properties


def _city(rng: random.Random, n_firms: int, n_insp: int):
    districts = ["A", "B", "C", "D"]
    firms = [_firm(f"F{n:05d}", districts[n % 4], ("辐射",) if rng.random() < 0.15 else (),
                   "special" if n % 11 == 0 else "general") for n in range(n_firms)]
    inspectors = [_insp(f"ZZ{n:03d}", districts[n % 4], ("辐射",) if n % 3 == 0 else ()) for n in range(n_insp)]
    conflicts = [Conflict(f"ZZ{rng.randrange(n_insp):03d}", f"F{rng.randrange(n_firms):05d}", "")
                 for _ in range(5)]
    return firms, inspectors, conflicts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), ops=st.lists(st.tuples(st.sampled_from(amend.ACTIONS), st.integers(0, 10**6)),
                                                 min_size=1, max_size=8))
def test_rules_hold_after_any_sequence_of_amendments(seed: int, ops) -> None:
    rng = random.Random(seed)
    firms, inspectors, conflicts = _city(rng, 40, 12)
    rules = Rules(2, 3, True, 0, {"辐射": "辐射"})
    s = str(seed)
    drawn_firms = [f for f in firms if f.uscc.endswith(("0", "5"))][:6]
    excl = pair_exclusions(drawn_firms, inspectors, conflicts, [], rules, FIRST, LAST)
    from inspect_sched.core.assign import assign

    try:
        a = assign(s, drawn_firms, inspectors, excl, rules)
    except Exception:  # noqa: BLE001 — an infeasible start is not this test's subject
        return
    excluded = {f.uscc for f in firms if f.uscc.endswith("9")}
    frame = [amend.FrameEntry(f.uscc, f.category, Fraction(1 + int(f.uscc[-1]) % 3), f in drawn_firms,
                              f.uscc not in excluded) for f in firms]
    ctx = amend.Context(s, rules, FIRST, LAST, Inputs(firms, inspectors, [], conflicts, []), frame,
                        [(f.uscc, a.teams[f.uscc]) for f in drawn_firms], frozenset({"special"}))
    state = amend.initial_state(ctx)
    selected = {f.uscc for f in drawn_firms}
    recorded = []
    for action, pick in ops:
        if action == amend.REPLACE:
            args = {"uscc": state.order[pick % len(state.order)]}
        else:
            u = state.order[pick % len(state.order)]
            args = {"uscc": u, "inspector_id": state.teams[u][pick % 2]}
        try:
            rows = amend.derive(ctx, state, action, **args)
        except AmendmentRefused:
            continue
        for r in rows:
            if r.action == amend.REPLACE:
                assert r.replacement not in selected and r.replacement not in excluded
                assert r.replacement not in state.taken and r.replacement not in state.order
                assert state.stratum[r.uscc] not in ctx.full_coverage
        amend.apply(state, rows)
        recorded.append(amend.Recorded(len(recorded) + 1, tuple(rows), "reason", "t"))
        # Every assign-v1 rule on the current teams, with the extra bars amendments made.
        current = [ctx.firm(u) for u in state.order]
        ex = pair_exclusions(current, inspectors, conflicts, [], rules, FIRST, LAST)
        ex.update({(u, i): "conflict" for u, i in state.barred})
        ex.update({(u, i): "unavailable" for u in state.order for i in state.unavailable})
        teams = {u: state.teams[u] for u in state.order}
        objective = sum(assign_cost(s, u, i) for u, t in teams.items() for i in t)
        assert check_assignment(s, current, inspectors, ex, rules, Assignment(teams, objective, "", "")) == []
    # Replaying the record re-derives the same state with no differences.
    replayed, problems = amend.replay(ctx, recorded)
    assert problems == []
    assert replayed.order == state.order and {u: replayed.teams[u] for u in replayed.order} == {
        u: state.teams[u] for u in state.order}


def test_replay_names_a_tampered_team(vector: dict) -> None:
    ctx = _substitute_context(vector)
    state = amend.initial_state(ctx)
    rows = amend.substitute(ctx, state, "ZZ-0006", None)
    bad = [rows[0], amend.Row(rows[1].action, rows[1].uscc, rows[1].inspector_id, "ZZ-0003",
                              ("ZZ-0003", "ZZ-0005"))]
    _, problems = amend.replay(ctx, [amend.Recorded(1, tuple(bad), "病假", "t")])
    assert any("91430200MA4L0004XJ" in p and "re-derived ZZ-0002" in p for p in problems), problems


def test_csv_round_trip(vector: dict) -> None:
    ctx = _substitute_context(vector)
    state = amend.initial_state(ctx)
    rows = amend.substitute(ctx, state, "ZZ-0006", None)
    rec = [amend.Recorded(1, tuple(rows), "病假, 住院", "2026-12-03T01:00:00Z")]
    data = amend.csv_bytes(amend.AMENDMENT_COLUMNS, amend.amendment_rows(rec))
    assert amend.read_amendments(data) == rec


def test_core_amend_imports_only_stdlib_and_stdlib_only_modules() -> None:
    """The auditor's kit runs core/amend.py with ``python3 -I -S`` (SPEC §11)."""
    import ast
    import sys

    allowed = {"inspect_sched.core.tickets", "inspect_sched.core.sampling", "inspect_sched.core.inputs",
               "inspect_sched.core.assign.rules", "inspect_sched.core.assign.eligibility",
               "inspect_sched.core.assign.check", "inspect_sched.errors"}
    tree = ast.parse(Path(amend.__file__).read_text("utf-8"))
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            top = name.split(".")[0]
            assert name in allowed or (top != "inspect_sched" and top in sys.stdlib_module_names), name
