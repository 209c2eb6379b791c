"""Assignment core (SPEC §4 assign-v1): golden vector, one test per rule, brute force, properties."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_sched.core.assign import (
    Assignment,
    Rules,
    assign,
    check_assignment,
    eligible_pairs,
    model,
    pair_exclusions,
)
from inspect_sched.core.assign.certify import check_certificate, lp_is_integral
from inspect_sched.core.assign.model import _costs
from inspect_sched.core.inputs import Conflict, Firm, Inspection, InspectorRec
from inspect_sched.core.tickets import assign_cost
from inspect_sched.errors import AssignmentInfeasible
from inspect_sched.schema.policy import load_policy

VECTORS = Path(__file__).resolve().parent / "vectors"  # golden copies of ../shared/vectors
ECO, MARKET = "生态环境", "市场监管"
FIRST, LAST = dt.date(2025, 7, 1), dt.date(2025, 9, 30)
SEED = "20250701"


def firm(uscc: str, district: str = "荷塘区", tags: tuple[str, ...] = ()) -> Firm:
    return Firm(uscc, "企业", district, "general", "blue", "low", "active", "", "", tuple(tags))


def insp(
    iid: str,
    district: str = "芦淞区",
    department: str = ECO,
    cert: dt.date = dt.date(2027, 12, 31),
    active: bool = True,
    specialties: tuple[str, ...] = (),
) -> InspectorRec:
    return InspectorRec(iid, "检查员", "", district, department, cert, active, tuple(specialties))


def rules(**kw) -> Rules:
    base = dict(team_size=2, max_per_inspector=6, cross_district=True, rotation_days=365)
    base.update(kw)
    return Rules(**base)


def solve(firms, inspectors, r, conflicts=(), history=(), seed=SEED) -> Assignment:
    ex = pair_exclusions(firms, inspectors, conflicts, history, r, FIRST, LAST)
    a = assign(seed, firms, inspectors, ex, r)
    assert check_assignment(seed, firms, inspectors, ex, r, a) == []
    return a


def ranked(uscc: str, ids: list[str], seed: str = SEED) -> list[str]:
    """Inspector ids by ascending cost for this firm."""
    return sorted(ids, key=lambda i: assign_cost(seed, uscc, i))


# --------------------------------------------------------------------------- vectors


def _vector():
    d = json.loads((VECTORS / "assign-v1.json").read_text(encoding="utf-8"))
    firms = [firm(x["uscc"], x["district"], tuple(x["tags"])) for x in d["firms"]]
    inspectors = [
        insp(x["inspector_id"], x["district"], specialties=tuple(x["specialties"])) for x in d["inspectors"]
    ]
    conflicts = [Conflict(i, u, "") for i, u in d["conflicts"]]
    r = d["rules"]
    ru = Rules(r["team_size"], r["max_per_inspector"], r["cross_district"], 0, dict(r["specialty_required"]))
    return d, firms, inspectors, conflicts, ru


def test_golden_vector():
    d, firms, inspectors, conflicts, ru = _vector()
    ex = pair_exclusions(firms, inspectors, conflicts, [], ru, FIRST, LAST)
    pairs = eligible_pairs(firms, inspectors, ex)
    assert sorted(f"{u}|{i}" for u, i in pairs) == sorted(d["costs"])
    for u, i in pairs:
        assert assign_cost(d["seed"], u, i) == d["costs"][f"{u}|{i}"]
    a = assign(d["seed"], firms, inspectors, ex, ru)
    assert {u: list(t) for u, t in a.teams.items()} == d["expected"]["teams"]
    assert a.objective == d["expected"]["objective"]
    assert a.status == "OPTIMAL" and a.solver.startswith("ortools-")
    assert check_assignment(d["seed"], firms, inspectors, ex, ru, a) == []
    # The certified candidate path (tiny candidate sets) reaches the same optimum.
    assert assign(d["seed"], firms, inspectors, ex, ru, _per_firm=2, _per_group=1) == a


def test_bulk_costs_match_vectors():
    d = json.loads((VECTORS / "assign-v1.json").read_text(encoding="utf-8"))
    for key, cost in d["costs"].items():
        u, i = key.split("|")
        assert int(_costs(d["seed"], u, [i.encode()])[0]) == cost
    draw = json.loads((VECTORS / "draw-v1.json").read_text(encoding="utf-8"))
    examples = [e for e in draw["ticket_examples"] if "cost_top40" in e]
    assert examples
    for e in examples:
        u, i = e["key"].split("|")
        assert assign_cost(e["seed"], u, i) == e["cost_top40"]
        assert int(_costs(e["seed"], u, [i.encode()])[0]) == e["cost_top40"]


# --------------------------------------------------------------------------- one test per rule


def _four(district="芦淞区"):
    return [insp(f"ZZ-{n:04d}", district) for n in range(1, 5)]


def test_exclusion_reason_order():
    f = firm("F1", "荷塘区")
    i = insp("ZZ-0001", "荷塘区", department=MARKET, cert=dt.date(2020, 1, 1), active=False)
    conf = [Conflict("ZZ-0001", "F1", "亲属")]
    hist = [Inspection("F1", FIRST, "random", ("ZZ-0001",), "import")]
    r = rules()
    steps = [
        ("inactive", i),
        ("certificate_expired", InspectorRec(**{**i.__dict__, "active": True})),
        ("department", InspectorRec(**{**i.__dict__, "active": True, "cert_valid_until": LAST})),
        (
            "same_district",
            InspectorRec(**{**i.__dict__, "active": True, "cert_valid_until": LAST, "department": ECO}),
        ),
    ]
    for reason, rec in steps:
        assert pair_exclusions([f], [rec], conf, hist, r, FIRST, LAST) == {("F1", "ZZ-0001"): reason}
    ok = insp("ZZ-0001", "芦淞区")
    assert pair_exclusions([f], [ok], conf, hist, r, FIRST, LAST) == {("F1", "ZZ-0001"): "conflict"}
    assert pair_exclusions([f], [ok], [], hist, r, FIRST, LAST) == {("F1", "ZZ-0001"): "rotation"}
    assert pair_exclusions([f], [ok], [], [], r, FIRST, LAST) == {}


@pytest.mark.parametrize("rule", ["inactive", "certificate_expired", "conflict", "same_district"])
def test_single_rule_blocks_the_cheapest_pair(rule):
    inspectors = _four()
    cheapest = ranked("F1", [i.inspector_id for i in inspectors])[0]
    conflicts = []
    r = rules()
    changed = []
    for i in inspectors:
        if i.inspector_id == cheapest:
            if rule == "inactive":
                i = InspectorRec(**{**i.__dict__, "active": False})
            elif rule == "certificate_expired":
                i = InspectorRec(**{**i.__dict__, "cert_valid_until": LAST - dt.timedelta(days=1)})
            elif rule == "same_district":
                i = InspectorRec(**{**i.__dict__, "district": "荷塘区"})
            else:
                conflicts.append(Conflict(cheapest, "F1", "亲属"))
        changed.append(i)
    blocked = solve([firm("F1")], changed, r, conflicts)
    assert cheapest not in blocked.teams["F1"]
    # Without the rule the cheapest pair is used: the test would fail if the rule were dropped.
    assert cheapest in solve([firm("F1")], inspectors, r).teams["F1"]
    if rule == "same_district":
        assert cheapest in solve([firm("F1")], changed, rules(cross_district=False)).teams["F1"]


def test_certificate_valid_on_the_last_day_is_enough():
    inspectors = _four()
    cheapest = ranked("F1", [i.inspector_id for i in inspectors])[0]
    inspectors = [
        InspectorRec(**{**i.__dict__, "cert_valid_until": LAST}) if i.inspector_id == cheapest else i
        for i in inspectors
    ]
    assert cheapest in solve([firm("F1")], inspectors, rules()).teams["F1"]


@pytest.mark.parametrize(
    ("days_before", "blocked"), [(0, True), (1, True), (365, True), (366, False), (-1, False)]
)
def test_rotation_window(days_before, blocked):
    inspectors = _four()
    cheapest = ranked("F1", [i.inspector_id for i in inspectors])[0]
    hist = [Inspection("F1", FIRST - dt.timedelta(days=days_before), "random", (cheapest,), "import")]
    a = solve([firm("F1")], inspectors, rules(rotation_days=365), history=hist)
    assert (cheapest not in a.teams["F1"]) == blocked
    # Another firm's history does not matter.
    other = [Inspection("F2", FIRST, "random", (cheapest,), "import")]
    assert cheapest in solve([firm("F1")], inspectors, rules(), history=other).teams["F1"]


def test_joint_departments_need_one_from_each():
    ids = [f"ZZ-{n:04d}" for n in range(1, 6)]
    order = ranked("F1", ids)
    # The three cheapest are ecology, the two dearest market regulation.
    inspectors = [insp(i, department=ECO if i in order[:3] else MARKET) for i in ids]
    r = rules(departments=(ECO, MARKET))
    a = solve([firm("F1")], inspectors, r)
    depts = sorted(next(x.department for x in inspectors if x.inspector_id == i) for i in a.teams["F1"])
    assert depts == sorted([ECO, MARKET])
    assert a.teams["F1"] == tuple(sorted([order[0], order[3]]))
    assert "typed slots" in a.solver  # departments never overlap: the typed flow is exact
    # Team size grows to the number of departments.
    r3 = rules(departments=(ECO, MARKET, "交通运输"))
    with_transport = inspectors + [insp("ZZ-0009", department="交通运输")]
    assert len(solve([firm("F1")], with_transport, r3).teams["F1"]) == 3


def test_specialty_required():
    ids = [f"ZZ-{n:04d}" for n in range(1, 6)]
    dearest = ranked("F1", ids)[-1]
    inspectors = [insp(i, specialties=("辐射",) if i == dearest else ()) for i in ids]
    r = rules(specialty_required={"辐射": "辐射"})
    assert dearest in solve([firm("F1", tags=("辐射",))], inspectors, r).teams["F1"]
    # Without the tag (or the requirement) the dearest inspector is not chosen.
    assert dearest not in solve([firm("F1")], inspectors, r).teams["F1"]
    assert dearest not in solve([firm("F1", tags=("辐射",))], inspectors, rules()).teams["F1"]


def test_load_cap():
    ids = [f"ZZ-{n:04d}" for n in range(1, 7)]
    # Find two firms whose cheapest inspector is the same one.
    usccs = [f"F{n}" for n in range(1, 40)]
    by_first: dict[str, list[str]] = {}
    for u in usccs:
        by_first.setdefault(ranked(u, ids)[0], []).append(u)
    shared, pair = next((i, us[:2]) for i, us in sorted(by_first.items()) if len(us) >= 2)
    firms = [firm(u) for u in pair]
    inspectors = [insp(i) for i in ids]
    free = solve(firms, inspectors, rules(max_per_inspector=2))
    assert all(shared in t for t in free.teams.values())
    capped = solve(firms, inspectors, rules(max_per_inspector=1))
    assert sum(shared in t for t in capped.teams.values()) == 1
    assert capped.objective > free.objective


# --------------------------------------------------------------------------- brute force


def random_instance(rnd: random.Random, special: bool):
    n_f, n_i = rnd.randint(3, 5), rnd.randint(5, 7)
    districts = ["A", "B", "C"]
    firms = [
        firm(f"F{n}", rnd.choice(districts), ("辐射",) if special and rnd.random() < 0.4 else ())
        for n in range(n_f)
    ]
    depts = (ECO, MARKET) if special and rnd.random() < 0.5 else (ECO,)
    inspectors = [
        insp(
            f"ZZ-{n:02d}",
            rnd.choice(districts),
            department=rnd.choice(depts),
            specialties=("辐射",) if rnd.random() < 0.4 else (),
            active=rnd.random() > 0.1,
        )
        for n in range(n_i)
    ]
    conflicts = [Conflict(rnd.choice(inspectors).inspector_id, rnd.choice(firms).uscc, "") for _ in range(2)]
    r = rules(
        max_per_inspector=rnd.randint(1, 3),
        cross_district=rnd.random() < 0.5,
        specialty_required={"辐射": "辐射"} if special else {},
        departments=depts,
    )
    return firms, inspectors, conflicts, r


def brute_force(seed, firms, inspectors, ex, r):
    """Exhaustive search (with a simple bound) over all team combinations: (objective, teams) or None."""
    k = max(r.team_size, len(set(r.departments)))
    by_id = {i.inspector_id: i for i in inspectors}
    options = []
    for f in sorted(firms, key=lambda f: f.uscc):
        el = sorted(i.inspector_id for i in inspectors if (f.uscc, i.inspector_id) not in ex)
        teams = []
        for team in itertools.combinations(el, k):
            if any(all(by_id[i].department != d for i in team) for d in r.departments):
                continue
            need = {r.specialty_required[t] for t in f.tags if t in r.specialty_required}
            if any(all(s not in by_id[i].specialties for i in team) for s in need):
                continue
            teams.append((sum(assign_cost(seed, f.uscc, i) for i in team), team))
        teams.sort()
        options.append((f.uscc, teams))
    floor = [min((c for c, _ in t), default=0) for _, t in options]
    rest = [sum(floor[n:]) for n in range(len(options) + 1)]
    best: list = [None, None]

    def go(n, load, cost, chosen):
        if best[0] is not None and cost + rest[n] >= best[0]:
            return
        if n == len(options):
            best[0], best[1] = cost, dict(chosen)
            return
        uscc, teams = options[n]
        for c, team in teams:
            if all(load[i] < r.max_per_inspector for i in team):
                for i in team:
                    load[i] += 1
                chosen[uscc] = team
                go(n + 1, load, cost + c, chosen)
                del chosen[uscc]
                for i in team:
                    load[i] -= 1

    go(0, Counter(), 0, {})
    return None if best[0] is None else (best[0], best[1])


@pytest.mark.parametrize("case", range(60))
def test_matches_brute_force(case):
    rnd = random.Random(case)
    firms, inspectors, conflicts, r = random_instance(rnd, special=case % 2 == 1)
    seed = f"bf-{case}"
    ex = pair_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
    expected = brute_force(seed, firms, inspectors, ex, r)
    if expected is None:
        with pytest.raises(AssignmentInfeasible):
            assign(seed, firms, inspectors, ex, r)
        return
    a = assign(seed, firms, inspectors, ex, r)
    assert a.objective == expected[0]
    assert a.teams == expected[1]
    # The certified candidate path agrees as well.
    b = assign(seed, firms, inspectors, ex, r, _per_firm=2, _per_group=1)
    assert (b.teams, b.objective, b.solver, b.status) == (a.teams, a.objective, a.solver, a.status)
    flow = "CP-SAT" not in a.solver
    if flow:
        # Flow duals are the residual graph's shortest distances: the same whatever the candidates.
        assert b.certificate == a.certificate
    for x in (a, b):
        c = check_certificate(seed, firms, inspectors, ex, r, x, x.certificate)
        assert c.problems == [] and c.bound == x.certificate.bound <= x.objective
        assert c.certified or not flow  # an integral LP always closes the gap
        assert lp_is_integral(firms, inspectors, ex, r) == flow


@pytest.mark.parametrize("special", [False, True])
def test_certified_candidates_agree_with_the_full_model(special):
    rnd = random.Random(7 + special)
    districts = [f"D{n}" for n in range(4)]
    firms = [
        firm(f"F{n:03d}", rnd.choice(districts), ("辐射",) if special and n % 5 == 0 else ())
        for n in range(40)
    ]
    inspectors = [
        insp(
            f"ZZ-{n:03d}",
            districts[n % 4],
            department=MARKET if special and n % 2 == 0 else ECO,
            specialties=("辐射",) if n % 6 == 0 else (),
        )
        for n in range(30)
    ]
    r = rules(
        max_per_inspector=4,
        specialty_required={"辐射": "辐射"},
        departments=(ECO, MARKET) if special else (ECO,),
    )
    ex = pair_exclusions(firms, inspectors, [], [], r, FIRST, LAST)
    full = assign("cert", firms, inspectors, ex, r, _per_firm=10_000)
    small = assign("cert", firms, inspectors, ex, r, _per_firm=2, _per_group=1)
    assert (small.teams, small.objective, small.solver) == (full.teams, full.objective, full.solver)
    if "CP-SAT" not in full.solver:  # GLOP's rounded duals (CP-SAT path) depend on the candidates
        assert small.certificate == full.certificate
    for a in (small, full):
        assert check_certificate("cert", firms, inspectors, ex, r, a, a.certificate).problems == []
    assert check_assignment("cert", firms, inspectors, ex, r, full) == []


def independent_check(seed, firms, inspectors, ex, r, a):
    k = max(r.team_size, len(set(r.departments)))
    by_id = {i.inspector_id: i for i in inspectors}
    load = Counter(i for t in a.teams.values() for i in t)
    assert set(a.teams) == {f.uscc for f in firms}
    assert all(n <= r.max_per_inspector for n in load.values())
    total = 0
    for f in firms:
        team = a.teams[f.uscc]
        assert len(set(team)) == len(team) == k and list(team) == sorted(team)
        for i in team:
            rec = by_id[i]
            assert rec.active and rec.cert_valid_until >= LAST and rec.department in r.departments
            assert not (r.cross_district and rec.district == f.district)
            assert (f.uscc, i) not in ex
            total += assign_cost(seed, f.uscc, i)
        assert {by_id[i].department for i in team} >= set(r.departments)
        for t in f.tags:
            if t in r.specialty_required:
                assert any(r.specialty_required[t] in by_id[i].specialties for i in team)
    assert total == a.objective


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9), st.booleans())
def test_property_no_rule_is_ever_broken(n, special):
    rnd = random.Random(n)
    firms, inspectors, conflicts, r = random_instance(rnd, special)
    seed = str(n)
    ex = pair_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
    try:
        a = assign(seed, firms, inspectors, ex, r)
    except AssignmentInfeasible:
        return
    assert check_assignment(seed, firms, inspectors, ex, r, a) == []
    independent_check(seed, firms, inspectors, ex, r, a)


def test_check_assignment_reports_differences():
    d, firms, inspectors, conflicts, ru = _vector()
    ex = pair_exclusions(firms, inspectors, conflicts, [], ru, FIRST, LAST)
    a = assign(d["seed"], firms, inspectors, ex, ru)
    teams = dict(a.teams)
    teams["91430200MA4L0001XF"] = ("ZZ-0001", "ZZ-0007")  # same district
    teams["91430200MA4L0002XG"] = ("ZZ-0004", "ZZ-0005")  # no 辐射 specialist
    bad = Assignment(teams, a.objective + 1, a.solver, a.status)
    text = "\n".join(check_assignment(d["seed"], firms, inspectors, ex, ru, bad))
    assert "ZZ-0001 is not eligible (same_district)" in text
    assert "specialty 辐射" in text
    assert "objective" in text
    assert "serves" in text  # ZZ-0004/0005 now serve three firms, cap 2


# --------------------------------------------------------------------------- fairness


def test_fairness_over_seeds():
    firms = [firm(f"F{n}", "荷塘区") for n in range(6)]
    inspectors = [insp(f"ZZ-{n:02d}", "芦淞区") for n in range(10)]
    r = rules(max_per_inspector=6)
    ex = pair_exclusions(firms, inspectors, [], [], r, FIRST, LAST)
    load: Counter = Counter()
    together: Counter = Counter()
    runs = 300
    for s in range(runs):
        a = assign(f"fair-{s}", firms, inspectors, ex, r)
        for team in a.teams.values():
            load.update(team)
            together.update(itertools.combinations(team, 2))
    slots = runs * len(firms) * 2
    shares = {i: load[i] / slots for i in sorted(load)}
    # Even share is 0.100; observed spread is 0.089–0.107 (printed with -s).
    print(f"inspector share min {min(shares.values()):.3f} max {max(shares.values()):.3f}")
    assert len(shares) == 10
    assert all(0.08 <= s <= 0.12 for s in shares.values())
    teams_total = runs * len(firms)
    # 45 possible pairs, each about 1/45 of teams; none is always (or even often) together.
    assert max(together.values()) < 0.04 * teams_total
    assert len(together) == 45


# --------------------------------------------------------------------------- infeasibility


def test_infeasible_names_firms_district_and_rule():
    firms = [
        firm("91430200MA4L0001XF", "荷塘区"),
        firm("91430200MA4L0005XK", "荷塘区"),
        firm("F-OK", "芦淞区"),
    ]
    inspectors = [
        insp("ZZ-01", "荷塘区"),
        insp("ZZ-02", "荷塘区"),
        insp("ZZ-03", "芦淞区"),
        insp("ZZ-04", "石峰区"),
    ]
    conflicts = [Conflict("ZZ-03", "91430200MA4L0005XK", "")]
    with pytest.raises(AssignmentInfeasible) as e:
        solve(firms, inspectors, rules(), conflicts)
    msg = str(e.value)
    assert "1 firm in 荷塘区 has only 2 eligible inspectors, need 2" not in msg
    assert (
        "1 firm in 荷塘区 has only 1 eligible inspector, need 2: same_district removes 2, conflict removes 1"
        in msg
    )
    assert "91430200MA4L0005XK" in msg and "cross_district = false" in msg
    assert "F-OK" not in msg and "91430200MA4L0001XF" not in msg


def test_infeasible_groups_firms_and_other_rules():
    firms = [firm(f"F{n}", "荷塘区") for n in range(3)]
    inspectors = [
        insp("ZZ-01", "芦淞区", cert=dt.date(2025, 1, 1)),
        insp("ZZ-02", "芦淞区", active=False),
        insp("ZZ-03", "芦淞区"),
    ]
    with pytest.raises(AssignmentInfeasible) as e:
        solve(firms, inspectors, rules())
    msg = str(e.value)
    assert "3 firms in 荷塘区 have only 1 eligible inspector, need 2" in msg
    assert "inactive removes 1, certificate_expired removes 1" in msg
    assert "F0, F1, F2" in msg and "certificates" in msg


def test_infeasible_department_and_specialty():
    firms = [firm("F1", "荷塘区", ("辐射",))]
    inspectors = [insp(f"ZZ-0{n}") for n in range(1, 4)] + [insp("ZZ-09", "荷塘区", MARKET)]
    r = rules(departments=(ECO, MARKET), specialty_required={"辐射": "辐射"})
    with pytest.raises(AssignmentInfeasible) as e:
        solve(firms, inspectors, r)
    msg = str(e.value)
    assert "no eligible inspector of department 市场监管" in msg and "same_district removes 1" in msg
    assert "no eligible inspector with specialty 辐射" in msg and "F1" in msg


def test_infeasible_load_cap():
    firms = [firm(f"F{n}") for n in range(5)]
    inspectors = [insp(f"ZZ-0{n}") for n in range(4)]
    with pytest.raises(AssignmentInfeasible) as e:
        solve(firms, inspectors, rules(max_per_inspector=2))
    msg = str(e.value)
    assert "k·F = 10 team places" in msg and "at most 8" in msg and "max_per_inspector = 2" in msg
    assert solve(firms, inspectors, rules(max_per_inspector=3)).objective > 0


def test_infeasible_only_jointly():
    # Every firm alone has 2 eligible inspectors and total capacity suffices, but F0..F2 share two.
    firms = [firm(f"F{n}") for n in range(4)]
    inspectors = [insp(f"ZZ-0{n}") for n in range(6)]
    conflicts = [Conflict(f"ZZ-0{i}", f"F{f}", "") for f in range(3) for i in range(2, 6)]
    with pytest.raises(AssignmentInfeasible) as e:
        solve(firms, inspectors, rules(max_per_inspector=2), conflicts)
    assert "cannot all be staffed at once" in str(e.value)


# --------------------------------------------------------------------------- determinism & policy


def test_shuffled_input_gives_identical_assignment():
    rnd = random.Random(3)
    districts = ["A", "B", "C", "D"]
    firms = [firm(f"F{n:02d}", rnd.choice(districts), ("辐射",) if n % 4 == 0 else ()) for n in range(20)]
    inspectors = [
        insp(f"ZZ-{n:02d}", districts[n % 4], specialties=("辐射",) if n % 3 == 0 else ()) for n in range(16)
    ]
    conflicts = [Conflict("ZZ-01", "F03", ""), Conflict("ZZ-05", "F07", "")]
    for r in (rules(max_per_inspector=3), rules(max_per_inspector=3, specialty_required={"辐射": "辐射"})):
        ex = pair_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
        base = assign("det", firms, inspectors, ex, r)
        for _ in range(3):
            f2, i2, c2 = firms[:], inspectors[:], conflicts[:]
            rnd.shuffle(f2), rnd.shuffle(i2), rnd.shuffle(c2)
            items = list(pair_exclusions(f2, i2, c2, [], r, FIRST, LAST).items())
            rnd.shuffle(items)
            assert dict(items) == ex
            assert assign("det", f2, i2, dict(items), r) == base


def test_rules_from_policy():
    p = load_policy()
    r = Rules.from_policy(p, [])
    assert (r.team_size, r.max_per_inspector, r.cross_district, r.rotation_days) == (2, 6, True, 365)
    assert r.departments == (ECO,) and r.specialty_required == {"辐射": "辐射"}
    assert Rules.from_policy(p, [MARKET, ECO, ECO]).departments == tuple(sorted({ECO, MARKET}))
    assert Rules.from_policy(p, [MARKET, ECO, "交通运输"]).k == 3


def test_no_firms():
    a = assign(SEED, [], _four(), {}, rules())
    assert a.teams == {} and a.objective == 0


def test_flow_and_cpsat_paths_agree_on_plain_instances():
    from inspect_sched.core.assign import solvers

    rnd = random.Random(11)
    districts = [f"D{n}" for n in range(5)]
    firms = [firm(f"F{n:03d}", rnd.choice(districts)) for n in range(60)]
    inspectors = [insp(f"ZZ-{n:03d}", districts[n % 5]) for n in range(45)]
    conflicts = [Conflict(rnd.choice(inspectors).inspector_id, rnd.choice(firms).uscc, "") for _ in range(10)]
    r = rules(max_per_inspector=3)
    ex = pair_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
    inst = model._instance("paths", firms, inspectors, ex, r)
    assert solvers.choose(inst).name == "flow"
    flow = assign("paths", firms, inspectors, ex, r, solver="flow", _per_firm=3, _per_group=1)
    sat = assign("paths", firms, inspectors, ex, r, solver="cpsat", _per_firm=3, _per_group=1)
    assert "SimpleMinCostFlow" in flow.solver and "CP-SAT" in sat.solver
    assert flow.teams == sat.teams and flow.objective == sat.objective
    assert assign("paths", firms, inspectors, ex, r) == flow
    with pytest.raises(ValueError, match="typed_flow"):
        assign("paths", firms, inspectors, ex, r, solver="typed_flow")
    with pytest.raises(ValueError, match="unknown solver"):
        assign("paths", firms, inspectors, ex, r, solver="simplex")


@pytest.mark.parametrize("needs", ["specialty", "departments"])
def test_typed_flow_and_cpsat_agree(needs):
    """The typed-slot flow must give CP-SAT's optimum whenever a firm's needs are disjoint."""
    from inspect_sched.core.assign import solvers

    rnd = random.Random(needs)
    districts = [f"D{n}" for n in range(5)]
    depts = (ECO,) if needs == "specialty" else (ECO, MARKET)
    firms = [firm(f"F{n:03d}", rnd.choice(districts), ("辐射",) if rnd.random() < 0.3 else ())
             for n in range(50)]
    inspectors = [insp(f"ZZ-{n:03d}", districts[n % 5], department=depts[n % len(depts)],
                       specialties=("辐射",) if needs == "specialty" and n % 4 == 0 else ())
                  for n in range(48)]
    r = rules(max_per_inspector=3, departments=depts,
              specialty_required={"辐射": "辐射"} if needs == "specialty" else {})
    ex = pair_exclusions(firms, inspectors, [], [], r, FIRST, LAST)
    inst = model._instance("typed", firms, inspectors, ex, r)
    assert not inst.plain and solvers.choose(inst).name == "typed_flow"
    flow = assign("typed", firms, inspectors, ex, r, solver="typed_flow", _per_firm=3, _per_group=1)
    sat = assign("typed", firms, inspectors, ex, r, solver="cpsat", _per_firm=3, _per_group=1)
    assert flow.teams == sat.teams and flow.objective == sat.objective
    a = assign("typed", firms, inspectors, ex, r)
    assert "typed slots" in a.solver and a.teams == flow.teams and a.objective == flow.objective
    assert check_assignment("typed", firms, inspectors, ex, r, a) == []


def test_overlapping_needs_fall_back_to_cpsat():
    # A market-regulation inspector with the radiation specialty meets two needs at once.
    inspectors = [insp("ZZ-0001", department=ECO), insp("ZZ-0002", department=MARKET, specialties=("辐射",)),
                  insp("ZZ-0003", department=ECO, specialties=("辐射",)), insp("ZZ-0004", department=MARKET)]
    r = rules(departments=(ECO, MARKET), specialty_required={"辐射": "辐射"})
    a = solve([firm("F1", tags=("辐射",))], inspectors, r)
    assert "CP-SAT" in a.solver


def test_parallel_pair_costs_do_not_depend_on_the_number_of_workers(monkeypatch):
    """Forked workers over fixed firm chunks give the very arrays one process gives."""
    rnd = random.Random("workers")
    ids = [f"ZZ-{n:05d}".encode() for n in range(700)]
    usccs = sorted({f"9143{rnd.randrange(10**14):014d}" for _ in range(900)})
    masks = []
    for n in range(len(usccs)):
        if n % 3 == 0:
            masks.append(None)
        else:
            m = np.array([rnd.random() < 0.9 for _ in ids], dtype=bool)
            masks.append(m)
    monkeypatch.setattr(model, "PARALLEL_MIN_PAIRS", 0)
    one = model.pair_costs("workers-seed", usccs, ids, masks, workers=1)
    for workers in (2, 3, 5):
        many = model.pair_costs("workers-seed", usccs, ids, masks, workers=workers)
        assert len(many) == len(one)
        for a, b in zip(one, many, strict=True):
            assert a.dtype == b.dtype == np.int64
            assert np.array_equal(a, b)
    # And each entry is the reference assign_cost of its pair.
    for f in (0, 1, 2, len(usccs) - 1):
        chosen = ids if masks[f] is None else [i for i, keep in zip(ids, masks[f], strict=True) if keep]
        want = [assign_cost("workers-seed", usccs[f], i.decode()) for i in chosen[:50]]
        assert one[f][:50].tolist() == want


def reference_exclusions(firms, inspectors, conflicts, history, r, first_day, last_day):
    """The plain dict of every blocked pair, as assign-v1 states it (the original implementation)."""
    firms = sorted(firms, key=lambda f: f.uscc)
    inspectors = sorted(inspectors, key=lambda i: i.inspector_id)
    out = {}
    ids = {i.inspector_id for i in inspectors}
    usccs = {f.uscc for f in firms}
    for i in inspectors:
        if not i.active:
            reason = "inactive"
        elif i.cert_valid_until < last_day:
            reason = "certificate_expired"
        elif i.department not in set(r.departments):
            reason = "department"
        else:
            continue
        for f in firms:
            out[(f.uscc, i.inspector_id)] = reason
    if r.cross_district:
        for f in firms:
            for i in inspectors:
                exempt = i.department in r.cross_district_exempt or i.unit in r.cross_district_exempt
                if i.district == f.district and not exempt:
                    out.setdefault((f.uscc, i.inspector_id), "same_district")
    for c in sorted(conflicts, key=lambda c: (c.uscc, c.inspector_id)):
        if c.uscc in usccs and c.inspector_id in ids:
            out.setdefault((c.uscc, c.inspector_id), "conflict")
    for h in sorted(history, key=lambda h: (h.uscc, h.date, h.inspector_ids)):
        if h.uscc in usccs and 0 <= (first_day - h.date).days <= r.rotation_days:
            for iid in h.inspector_ids:
                if iid in ids:
                    out.setdefault((h.uscc, iid), "rotation")
    return out


@pytest.mark.parametrize("case", range(40))
def test_factored_exclusions_are_the_dict_of_every_blocked_pair(case):
    """Lookups, order, len and the solver's masks of ``PairExclusions`` equal the plain dict's."""
    rnd = random.Random(f"ex-{case}")
    firms, inspectors, conflicts, r = random_instance(rnd, special=case % 2 == 1)
    inspectors = [
        dataclasses.replace(i, cert_valid_until=dt.date(2025, 8, 1)) if rnd.random() < 0.15 else i
        for i in inspectors
    ]
    history = [
        Inspection(rnd.choice(firms).uscc, FIRST - dt.timedelta(days=rnd.randint(-5, 500)), "双随机",
                   tuple(sorted({rnd.choice(inspectors).inspector_id, rnd.choice(inspectors).inspector_id})), "import")
        for _ in range(4)
    ]
    if case % 4 >= 2:  # partner-department staff the cross-district rule does not bind (SPEC §3)
        r = dataclasses.replace(r, cross_district=True, cross_district_exempt=(rnd.choice([ECO, MARKET]),))
    ex = pair_exclusions(firms, inspectors, conflicts, history, r, FIRST, LAST)
    want = reference_exclusions(firms, inspectors, conflicts, history, r, FIRST, LAST)
    assert list(ex.items()) == list(want.items())
    assert len(ex) == len(want) and ex == want
    missing = object()
    for f in firms + [firm("NOT-A-FIRM", "A", ())]:
        for i in [*inspectors, insp("ZZ-UNKNOWN", "A")]:
            key = (f.uscc, i.inspector_id)
            assert (key in ex) == (key in want)
            assert ex.get(key) == want.get(key)
            assert ex.get(key, missing) == want.get(key, missing)  # the default comes back when absent
            if key not in want:  # a dict's KeyError names the key
                with pytest.raises(KeyError) as err:
                    ex[key]
                assert err.value.args == (key,)
    # Equal to another factored copy of the same exclusions, as two equal dicts are.
    assert ex == pair_exclusions(firms, inspectors, conflicts, history, r, FIRST, LAST)
    # The solver's per-firm eligibility from the factors equals the one from the dict.
    fast = model._instance("masks", firms, inspectors, ex, r)
    slow = model._instance("masks", firms, inspectors, dict(want), r)
    for a, b, ca, cb in zip(fast.elig, slow.elig, fast.cost, slow.cost, strict=True):
        assert a.tolist() == b.tolist() and ca.tolist() == cb.tolist()


def test_factored_exclusions_leave_exempt_staff_in_the_firms_district():
    """cross_district_exempt: a partner department's inspector from the firm's own district stays eligible."""
    f = firm("F1", "A", ())
    own, partner = insp("ZZ-01", "A"), insp("ZZ-02", "A", department=MARKET)
    r = rules(departments=(ECO, MARKET), cross_district_exempt=(MARKET,))
    ex = pair_exclusions([f], [own, partner], [], [], r, FIRST, LAST)
    assert ex.get(("F1", "ZZ-01")) == "same_district" and ("F1", "ZZ-02") not in ex
    assert dict(ex.items()) == {("F1", "ZZ-01"): "same_district"}
    inst = model._instance("exempt", [f], [own, partner], ex, r)
    assert inst.elig[0].tolist() == [1]


def test_exclusions_after_a_change_answer_like_the_dict():
    """Once changed (an amendment bars or frees a pair), lookups keep the dict's defaults and order."""
    rnd = random.Random("ex-mutated")
    firms, inspectors, conflicts, r = random_instance(rnd, special=False)
    ex = pair_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
    want = dict(reference_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST))
    gone = next(iter(want))
    del ex[gone]
    del want[gone]
    missing = object()
    assert ex.get(gone, missing) is missing and ex.get(gone) is None and gone not in ex
    assert list(ex) == list(want) and len(ex) == len(want) and ex == want
    for key in list(want)[:20]:
        assert ex.get(key, missing) == want[key]


def test_exclusions_can_be_extended_like_a_dict():
    """Amendments add bars with ``update``: afterwards lookups, order and the solver's masks follow."""
    rnd = random.Random("ex-update")
    firms, inspectors, conflicts, r = random_instance(rnd, special=False)
    ex = pair_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
    want = reference_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
    extra = {(firms[0].uscc, inspectors[0].inspector_id): "unavailable", ("NEW", "ZZ-NEW"): "conflict"}
    ex.update(extra)
    want.update(extra)
    assert list(ex.items()) == list(want.items())
    assert ex[(firms[0].uscc, inspectors[0].inspector_id)] == "unavailable"
    fast = model._instance("upd", firms, inspectors, ex, r)
    slow = model._instance("upd", firms, inspectors, dict(want), r)
    assert [a.tolist() for a in fast.elig] == [b.tolist() for b in slow.elig]


def test_flow_duals_close_the_gap_and_refuse_a_non_optimal_flow():
    import numpy as np

    from inspect_sched.core.assign import model
    from inspect_sched.core.assign.certificate import _bound
    from inspect_sched.core.assign.duals import flow_duals
    from inspect_sched.core.assign.solvers._common import _pairs

    rnd = random.Random(5)
    districts = [f"D{n}" for n in range(4)]
    firms = [firm(f"F{n:03d}", rnd.choice(districts)) for n in range(20)]
    inspectors = [insp(f"ZZ-{n:03d}", districts[n % 4]) for n in range(16)]
    r = rules(max_per_inspector=3)
    ex = pair_exclusions(firms, inspectors, [], [], r, FIRST, LAST)
    inst = model._instance("duals", firms, inspectors, ex, r)
    fs, ins, cs = _pairs(inst, [np.arange(len(e)) for e in inst.elig])

    def x_of(a):
        chosen = {(u, i) for u, team in a.teams.items() for i in team}
        return np.array([(inst.firms[f].uscc, inst.inspectors[i].inspector_id) in chosen
                         for f, i in zip(fs.tolist(), ins.tolist(), strict=True)], dtype=np.int64)

    best = assign("duals", firms, inspectors, ex, r)
    bound, _ = _bound(inst, flow_duals(inst, fs, ins, cs, x_of(best)))
    assert bound == best.objective
    u0 = sorted(best.teams)[0]
    worse = assign("duals", firms, inspectors, {**ex, (u0, best.teams[u0][0]): "conflict"}, r)
    assert worse.objective > best.objective
    with pytest.raises(RuntimeError, match="negative cycle"):
        flow_duals(inst, fs, ins, cs, x_of(worse))


# ------------------------------------------------------------------ certificate.json (draw-v2)


def _cert():  # type: ignore[no-untyped-def]
    from inspect_sched.core.assign.rules import Certificate

    return Certificate(team={"U2": -3, "U1": 7}, cover={"U2": {"spec:辐射": 2, "dept:生态环境": 0}, "U1": {}},
                       cap={"Z2": -1, "Z1": 0}, bound=41, objective=41, method="flow")


def test_certificate_json_is_canonical() -> None:
    """certificate.json is hashed into the bundle: its bytes must depend on the values alone
    (sorted keys, one-space indent, UTF-8 text not escaped, one final newline)."""
    data = _cert().to_json()
    assert data.decode("utf-8") == (
        '{\n "bound": 41,\n "format": "inspect-sched/certificate-v1",\n "method": "flow",\n "objective": 41,\n'
        ' "y_cap": {\n  "Z1": 0,\n  "Z2": -1\n },\n'
        ' "y_cover": {\n  "U1": {},\n  "U2": {\n   "dept:生态环境": 0,\n   "spec:辐射": 2\n  }\n },\n'
        ' "y_team": {\n  "U1": 7,\n  "U2": -3\n }\n}\n')
    from inspect_sched.core.assign.rules import Certificate

    assert Certificate.from_json(data) == _cert()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda b: b"\xff" + b, "not valid UTF-8 JSON ("),
    (lambda b: b[:-3], "not valid UTF-8 JSON ("),
    (lambda b: b"[1, 2]", "format is None, expected 'inspect-sched/certificate-v1'"),
    (lambda b: b.replace(b"certificate-v1", b"certificate-v9"),
     "format is 'inspect-sched/certificate-v9', expected 'inspect-sched/certificate-v1'"),
    (lambda b: b.replace(b'"y_cap"', b'"y_kap"'), "y_cap is missing or not an object"),
    (lambda b: b.replace(b'"y_team": {\n  "U1": 7,\n  "U2": -3\n }', b'"y_team": [7, -3]'),
     "y_team is missing or not an object"),
    (lambda b: b.replace(b'"U1": {}', b'"U1": 5'), "y_cover[U1] is not an object"),
    (lambda b: b.replace(b'"spec:\xe8\xbe\x90\xe5\xb0\x84": 2', b'"spec:\xe8\xbe\x90\xe5\xb0\x84": 2.0'),
     "y_cover[U2][spec:辐射] is 2.0, not an integer"),
    (lambda b: b.replace(b'"U1": 7', b'"U1": true'), "y_team[U1] is True, not an integer"),
    (lambda b: b.replace(b'"Z2": -1', b'"Z2": "-1"'), "y_cap[Z2] is '-1', not an integer"),
    (lambda b: b.replace(b'"bound": 41', b'"bound": null'), "bound is None, not an integer"),
    (lambda b: b.replace(b'"objective": 41,', b''), "objective is None, not an integer"),
])
def test_malformed_certificate_is_refused_naming_the_entry(edit, message: str) -> None:
    from inspect_sched.core.assign.rules import Certificate

    with pytest.raises(ValueError) as exc:
        Certificate.from_json(edit(_cert().to_json()))
    assert str(exc.value).startswith(message) and (message.endswith("(") or str(exc.value) == message)


def test_certificate_method_is_informative_only() -> None:
    """A missing or non-text method reads as "" (the check never trusts it); the rest is kept."""
    from inspect_sched.core.assign.rules import Certificate

    data = _cert().to_json()
    for edited in (data.replace(b'"method": "flow",\n', b""), data.replace(b'"method": "flow"', b'"method": 3')):
        got = Certificate.from_json(edited)
        assert got.method == "" and got.bound == 41 and got.team == {"U1": 7, "U2": -3}


def test_cross_district_exemption_by_department_or_unit() -> None:
    """SPEC §3 cross_district_exempt: city-level staff are exempt by their department or by
    their unit; either one is enough, and the policy's list reaches the rules."""
    from inspect_sched.schema.policy import parse_policy

    policy = parse_policy({"cross_district_exempt": ["市局执法支队", MARKET]})
    rules = Rules.from_policy(policy, [ECO, MARKET])
    assert rules.cross_district_exempt == (MARKET, "市局执法支队")  # sorted
    assert not rules.district_bound(MARKET, "荷塘区分局")  # by department
    assert not rules.district_bound(ECO, "市局执法支队")  # by unit
    assert rules.district_bound(ECO, "荷塘区分局")
    assert not Rules(2, 6, False, 0, cross_district_exempt=()).district_bound(ECO, "荷塘区分局")  # rule off


def test_stratum_team_size_applies_to_its_firms_only() -> None:
    rules = Rules(2, 6, True, 0, team_size_of={"U1": 3, "U2": 1})
    assert (rules.k_for("U1"), rules.k_for("U2"), rules.k_for("U3")) == (3, 1, 2)
    # At least one member per department of a joint task, whatever the stratum says.
    joint = Rules(1, 6, True, 0, departments=(ECO, MARKET), team_size_of={"U1": 3, "U2": 1})
    assert (joint.k_for("U1"), joint.k_for("U2"), joint.k_for("U3"), joint.k) == (3, 2, 2, 2)


def test_rotation_counts_a_recent_inspection_whatever_else_the_history_holds() -> None:
    """rotation_days: a member of an inspection of this firm within the window is excluded; an
    older inspection, another firm's, or an unknown inspector's changes nothing (and does not
    hide the recent one)."""
    f = firm("F1", "荷塘区")
    staff = [insp(f"ZZ-000{n}") for n in (1, 2, 3)]
    hist = [Inspection("F1", FIRST - dt.timedelta(days=800), "random", ("ZZ-0001",), "import"),
            Inspection("F1", FIRST - dt.timedelta(days=30), "random", ("ZZ-0002", "ZZ-9999"), "import"),
            Inspection("F9", FIRST - dt.timedelta(days=30), "random", ("ZZ-0003",), "import")]
    for order in (hist, hist[::-1]):
        assert pair_exclusions([f], staff, [], order, rules(), FIRST, LAST) == {("F1", "ZZ-0002"): "rotation"}


def test_conflicts_bind_only_drawn_firms_and_known_inspectors() -> None:
    f = firm("F1", "荷塘区")
    staff = [insp("ZZ-0001"), insp("ZZ-0002")]
    conflicts = [Conflict("ZZ-0001", "F9", "亲属"), Conflict("ZZ-9999", "F1", "亲属"), Conflict("ZZ-0002", "F1", "亲属")]
    assert pair_exclusions([f], staff, conflicts, [], rules(), FIRST, LAST) == {("F1", "ZZ-0002"): "conflict"}


def test_exempt_inspectors_may_inspect_their_own_district() -> None:
    """cross_district_exempt (SPEC §3): exempt by department or by unit; others of the firm's
    district stay excluded."""
    f = firm("F1", "荷塘区")
    cert = dt.date(2027, 12, 31)
    staff = [InspectorRec("A", "甲", "荷塘区分局", "荷塘区", ECO, cert, True, ()),
             InspectorRec("B", "乙", "荷塘区所", "荷塘区", MARKET, cert, True, ()),
             InspectorRec("C", "丙", "市局执法支队", "荷塘区", ECO, cert, True, ())]
    r = rules(departments=(ECO, MARKET), cross_district_exempt=(MARKET, "市局执法支队"))
    assert pair_exclusions([f], staff, [], [], r, FIRST, LAST) == {("F1", "A"): "same_district"}
