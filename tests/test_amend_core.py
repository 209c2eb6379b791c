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
               "inspect_sched.core.assign.check", "inspect_sched.errors", "inspect_sched.io.text"}
    tree = ast.parse(Path(amend.__file__).read_text("utf-8"))
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            top = name.split(".")[0]
            assert name in allowed or (top != "inspect_sched" and top in sys.stdlib_module_names), name


# --------------------------------------------------------------------------- dispatch, records, replay

F3, F4, F5 = "91430200MA4L0003XH", "91430200MA4L0004XJ", "91430200MA4L0005XK"


def _replace_context(vector: dict) -> tuple[amend.Context, list[str]]:
    seed = vector["replace"]["seed"]
    s = vector["replace"]["strata"][0]
    drawn = [f"9143020{n:010d}" for n in range(3)]
    frame = [amend.FrameEntry(c["uscc"], s["stratum"], Fraction(c["weight"]), False, True) for c in s["candidates"]]
    frame += [amend.FrameEntry(u, s["stratum"], Fraction(1), True, True) for u in drawn]
    firms = [_firm(c["uscc"], "A") for c in s["candidates"]] + [_firm(u, "A") for u in drawn]
    inspectors = [_insp(f"ZZ-{n}", "B") for n in range(8)]
    return amend.Context(seed, Rules(2, 6, True, 365), FIRST, LAST, Inputs(firms, inspectors, [], [], []),
                         frame, [(u, ("ZZ-0", "ZZ-1")) for u in drawn]), drawn


def test_derive_routes_each_action_to_its_amendment(vector: dict) -> None:
    """derive is what `amend` records: each action must reach its own amendment, with the
    firm and inspector it was given (a substitute names one firm unless given several)."""
    ctx = _substitute_context(vector)
    state = amend.initial_state(ctx)
    one = amend.derive(ctx, state, amend.SUBSTITUTE, uscc=F3, inspector_id="ZZ-0006")
    assert one == amend.substitute(ctx, state, "ZZ-0006", [F3])
    assert [(r.action, r.uscc) for r in one] == [(amend.SUBSTITUTE, F3)]
    both = amend.derive(ctx, state, amend.SUBSTITUTE, inspector_id="ZZ-0005", usccs=[F5, F4])
    assert [(r.action, r.uscc) for r in both] == [(amend.SUBSTITUTE, F4), (amend.SUBSTITUTE, F5)]
    every = amend.derive(ctx, state, amend.WITHDRAW, inspector_id="ZZ-0006")
    assert every == amend.substitute(ctx, state, "ZZ-0006", None)
    assert [(r.action, r.uscc) for r in every] == [(amend.WITHDRAW, F3), (amend.WITHDRAW, F4)]
    with pytest.raises(AmendmentRefused) as exc:
        amend.derive(ctx, state, "swap", uscc=F3, inspector_id="ZZ-0006")
    assert str(exc.value) == "unknown amendment action 'swap'; expected one of replace-firm, substitute, substitute-all"

    rctx, drawn = _replace_context(vector)
    rstate = amend.initial_state(rctx)
    rows = amend.derive(rctx, rstate, amend.REPLACE, uscc=drawn[1])
    assert rows == amend.replace_firm(rctx, rstate, drawn[1])
    assert [(r.action, r.uscc, r.replacement) for r in rows] == [
        (amend.REPLACE, drawn[1], vector["replace"]["strata"][0]["replacements"][0])]


def _recorded(vector: dict) -> tuple[amend.Context, list[amend.Row]]:
    ctx = _substitute_context(vector)
    return ctx, amend.substitute(ctx, amend.initial_state(ctx), "ZZ-0006", None)


def test_replay_reports_each_tampering_exactly(vector: dict) -> None:
    """verify prints replay's problems: each names the amendment, the firm and both values."""
    ctx, rows = _recorded(vector)
    bad = [rows[0], amend.Row(rows[1].action, F4, "ZZ-0006", "ZZ-0003", ("ZZ-0003", "ZZ-0005"))]
    _, problems = amend.replay(ctx, [amend.Recorded(1, tuple(bad), "病假", "t")])
    assert problems == [f"amendment 1 firm {F4}: replacement 'ZZ-0003', re-derived 'ZZ-0002'",
                        f"amendment 1 firm {F4}: team ZZ-0003;ZZ-0005, re-derived ZZ-0002;ZZ-0005"]
    # A row left out: the firm lists differ (and replay does not stop at the shorter list).
    _, problems = amend.replay(ctx, [amend.Recorded(1, (rows[0],), "病假", "t")])
    assert problems == [f"amendment 1: firms ['{rows[0].uscc}'], re-derived ['{rows[0].uscc}', '{F4}']"]
    # The record as derived: no problem at all.
    _, problems = amend.replay(ctx, [amend.Recorded(1, tuple(rows), "病假", "t")])
    assert problems == []


def test_replay_checks_sequence_reason_and_action(vector: dict) -> None:
    ctx, rows = _recorded(vector)
    _, problems = amend.replay(ctx, [amend.Recorded(2, tuple(rows), " ", "t")])
    assert problems == ["amendment 2: expected sequence 1 (an amendment is missing or renumbered)",
                        "amendment 2: has no reason"]
    mixed = (rows[0], amend.Row(amend.SUBSTITUTE, *[getattr(rows[1], k) for k in ("uscc", "inspector_id",
                                                                                  "replacement", "team")]))
    _, problems = amend.replay(ctx, [amend.Recorded(1, mixed, "病假", "t")])
    assert problems == ["amendment 1: action ['substitute', 'substitute-all'] is not one of "
                        "replace-firm, substitute, substitute-all"]


def test_replay_goes_on_after_an_unknown_action(vector: dict) -> None:
    """A record with an unknown action is reported and skipped; the amendments after it are
    still re-derived and applied."""
    ctx, rows = _recorded(vector)
    bogus = amend.Row("swap", F3, "ZZ-0006", "ZZ-0007", ("ZZ-0002", "ZZ-0007"))
    state, problems = amend.replay(ctx, [amend.Recorded(1, (bogus,), "病假", "t"),
                                         amend.Recorded(2, tuple(rows), "病假", "t")])
    assert problems == ["amendment 1: action ['swap'] is not one of replace-firm, substitute, substitute-all"]
    assert state.teams[F3] == ("ZZ-0002", "ZZ-0007") and state.teams[F4] == ("ZZ-0002", "ZZ-0005")
    assert state.unavailable == {"ZZ-0006"}


def test_amendment_files_are_lf_terminated_and_one_row_amendments_round_trip(vector: dict) -> None:
    ctx = _substitute_context(vector)
    rows = amend.substitute(ctx, amend.initial_state(ctx), "ZZ-0001", ["91430200MA4L0002XG"])
    assert len(rows) == 1
    rec = [amend.Recorded(1, tuple(rows), "回避", "2026-12-03T01:00:00Z")]
    data = amend.csv_bytes(amend.AMENDMENT_COLUMNS, amend.amendment_rows(rec))
    assert b"\r" not in data and data.endswith(b"\n") and data.count(b"\n") == 2  # byte-identical on every platform
    assert amend.read_amendments(data) == rec


@pytest.mark.parametrize(("text", "message"), [
    ("", "amendments.csv: header is None, expected " + str(amend.AMENDMENT_COLUMNS)),
    ("seq\n", "amendments.csv: header is ['seq'], expected " + str(amend.AMENDMENT_COLUMNS)),
    ("{h}\n1,substitute,U,I,J,I;J,r,t\n2,substitute\n", "amendments.csv: line 3 has 2 cells, expected 8"),
    ("{h}\nx1,substitute,U,I,J,I;J,r,t\n", "amendments.csv: line 2: sequence 'x1' is not a number"),
    ("{h}\n\u0661,substitute,U,I,J,I;J,r,t\n", "amendments.csv: line 2: sequence '\u0661' is not a number"),
    ("{h}\n1,substitute,U,I,J,I;J,r,t\n1,substitute,V,I,J,I;J,other,t\n",
     "amendments.csv: line 3: reason or created_at differs from the other rows of amendment 1"),
])
def test_malformed_amendment_files_are_refused_naming_the_line(text: str, message: str) -> None:
    data = text.replace("{h}", ",".join(amend.AMENDMENT_COLUMNS)).encode("utf-8")
    with pytest.raises(ValueError) as exc:
        amend.read_amendments(data)
    assert str(exc.value) == message


# --------------------------------------------------------------------------- refusals and the rules behind them

MKT = "市场监管"


def _blocked_context(tags: tuple[str, ...], departments: tuple[str, ...], extra: bool) -> tuple[amend.Context, amend.State]:
    """Firm F (district A) staffed by I01 and I02; every other inspector is removed by one rule
    (and, with ``extra``, I13 is eligible but covers none of the team's needs)."""
    from inspect_sched.core.inputs import Inspection

    f, g = _firm("F", "A", tags), _firm("G", "A")
    old = dt.date(2020, 1, 1)
    inspectors = [
        _insp("I01", "B", ("辐射", "危废"), MKT if MKT in departments else ECO), _insp("I02", "B"),
        _insp("I03", "A"),  # same district
        _insp("I04", "B"), _insp("I05", "B"),  # made unavailable / barred below
        _insp("I06", "B"),  # on G's team, at the cap
        InspectorRec("I07", "检查员07", "", "B", ECO, dt.date(2030, 1, 1), False, ()),  # inactive
        InspectorRec("I08", "检查员08", "", "B", ECO, old, True, ()),  # certificate expired
        _insp("I09", "B"),  # inspected F within rotation_days
        _insp("I10", "B"),  # declared conflict
        _insp("I11", "B"),  # on G's team, at the cap
        _insp("I12", "B", (), "农业农村"),  # not of the task's departments
        _insp("I14", "B"), _insp("I15", "B"),  # unavailable / barred too: counts above one
    ] + ([_insp("I13", "B")] if extra else [])
    history = [Inspection("F", FIRST - dt.timedelta(days=30), "random", ("I09",), "import")]
    rules = Rules(2, 1, True, 365, {"辐射": "辐射", "涉危废": "危废"}, departments)
    frame = [amend.FrameEntry(u, "general", Fraction(1), True, True) for u in ("F", "G")]
    ctx = amend.Context("s", rules, FIRST, LAST, Inputs([f, g], inspectors, [], [Conflict("I10", "F", "")], history),
                        frame, [("F", ("I01", "I02")), ("G", ("I06", "I11"))])
    state = amend.initial_state(ctx)
    state.unavailable |= {"I04", "I14"}
    state.barred |= {("F", "I05"), ("F", "I15")}
    return ctx, state


REMOVED = ("inactive removes 1; certificate expired removes 1; not of the task's departments removes 1; "
           "same district (cross_district) removes 1; declared conflict (回避) removes 1; "
           "inspected it within rotation_days removes 1; unavailable for this draw (substituted out) removes 2; "
           "conflict found at an earlier amendment removes 2; already at max_per_inspector (1) removes 2")


def test_substitute_refusal_counts_what_each_rule_removed() -> None:
    """With nobody left, the refusal counts, rule by rule and in assign-v1's order, the
    inspectors each rule took out, so the clerk sees which rule to relax."""
    ctx, state = _blocked_context((), (ECO,), extra=False)
    with pytest.raises(AmendmentRefused) as exc:
        amend.substitute(ctx, state, "I01", ["F"])
    assert str(exc.value) == (f"no substitute for I01 on firm F (A): {REMOVED}. "
                              "To fix: add eligible inspectors or raise max_per_inspector")


def test_substitute_refusal_names_the_needs_the_team_would_lack() -> None:
    """Removing the one member who covered a department and two specialties: the refusal names
    each lacking need (department or specialty), and how many inspectors are left."""
    ctx, state = _blocked_context(("涉危废", "辐射"), (ECO, MKT), extra=True)
    assert amend.needs_of(ctx.firm("F"), ctx.rules) == [("dept", MKT), ("dept", ECO), ("spec", "危废"), ("spec", "辐射")]
    with pytest.raises(AmendmentRefused) as exc:
        amend.substitute(ctx, state, "I01", ["F"])
    assert str(exc.value) == (
        "no substitute for I01 on firm F (A): the team would lack department 市场监管, specialty 危废, specialty 辐射, "
        f"and none of the 1 inspector(s) left provides it ({REMOVED}). "
        "To fix: add eligible inspectors or raise max_per_inspector")
    # Nobody left at all: the rule counts alone, not "none of the 0 inspector(s)".
    ctx, state = _blocked_context(("辐射",), (ECO,), extra=False)
    with pytest.raises(AmendmentRefused) as exc:
        amend.substitute(ctx, state, "I01", ["F"])
    assert str(exc.value) == (f"no substitute for I01 on firm F (A): {REMOVED}. "
                              "To fix: add eligible inspectors or raise max_per_inspector")


def test_substitute_refusal_when_nobody_else_exists() -> None:
    f = _firm("F", "A")
    ctx = amend.Context("s", Rules(2, 6, True, 0), FIRST, LAST,
                        Inputs([f], [_insp("I01", "B"), _insp("I02", "B")], [], [], []),
                        [amend.FrameEntry("F", "general", Fraction(1), True, True)], [("F", ("I01", "I02"))])
    with pytest.raises(AmendmentRefused) as exc:
        amend.substitute(ctx, amend.initial_state(ctx), "I01", ["F"])
    assert str(exc.value) == ("no substitute for I01 on firm F (A): no inspector is in the pool. "
                              "To fix: add eligible inspectors or raise max_per_inspector")


def test_substitute_refusal_of_wrong_ids_names_each_and_carries_a_hint(vector: dict) -> None:
    ctx = _substitute_context(vector)
    with pytest.raises(AmendmentRefused) as exc:
        amend.substitute(ctx, amend.initial_state(ctx), "ZZ-0002", ["91430200MA4L0002XG", "X9"])
    problems = "inspector ZZ-0002 is not on the team of firm 91430200MA4L0002XG (ZZ-0001;ZZ-0003); firm X9 is not in the draw"
    assert str(exc.value) == problems + "; check the inspector and the firms"
    assert exc.value.hint == "amend_check_ids" and exc.value.hint_args == {"problems": problems}


def test_needs_list_each_department_and_specialty_once() -> None:
    rules = Rules(2, 6, True, 0, {"辐射": "辐射", "核技术": "辐射"}, (MKT, ECO, MKT))
    assert amend.needs_of(_firm("F", tags=("核技术", "辐射")), rules) == [("dept", MKT), ("dept", ECO), ("spec", "辐射")]


def test_least_cost_team_has_the_stratum_team_size() -> None:
    """A firm of a stratum with its own team_size (SPEC §3) gets a team of that size."""
    pool = [_insp(f"ZZ-{n}", "B") for n in range(5)]
    rules = Rules(2, 6, True, 0, team_size_of={"F": 3})
    assert len(amend.least_cost_team("s", _firm("F"), pool, rules) or ()) == 3
    assert len(amend.least_cost_team("s", _firm("G"), pool, rules) or ()) == 2


def test_replace_refusals_say_why_and_what_to_do(vector: dict) -> None:
    ctx, drawn = _replace_context(vector)
    state = amend.initial_state(ctx)
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(ctx, state, "X9")
    assert str(exc.value) == ("firm X9 is not in the draw; the current firms are in assignments-current.csv "
                              "of the draw's exported bundle")
    assert exc.value.hint == "amend_not_in_draw" and exc.value.hint_args == {"uscc": "X9"}
    stratum = vector["replace"]["strata"][0]["stratum"]
    full = amend.Context(ctx.seed, ctx.rules, FIRST, LAST, ctx.inputs, ctx.frame, ctx.drawn, frozenset({stratum}))
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(full, amend.initial_state(full), drawn[0])
    assert str(exc.value) == (f"firm {drawn[0]} is in stratum {stratum!r}, which is drawn in full (full_coverage): "
                              "it has no candidates for a replacement. Record its result instead (e.g. 已关闭或停产)")
    sctx = _substitute_context(vector)
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(sctx, amend.initial_state(sctx), F3)
    assert str(exc.value) == ("stratum 'general' has no candidates left for a replacement: every eligible firm of it "
                              "was drawn or has already been taken as a replacement")
    # Every inspector but one in the firms' district: the replacement cannot be staffed.
    near = [InspectorRec(i.inspector_id, i.name, i.unit, "A" if i.inspector_id != "ZZ-0" else "B", i.department,
                         i.cert_valid_until, i.active, i.specialties) for i in ctx.inputs.inspectors]
    inputs = Inputs(ctx.inputs.firms, near, [], [], [])
    blocked = amend.Context(ctx.seed, ctx.rules, FIRST, LAST, inputs, ctx.frame, ctx.drawn)
    new = vector["replace"]["strata"][0]["replacements"][0]
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(blocked, amend.initial_state(blocked), drawn[0])
    assert str(exc.value) == (f"the replacement drawn for {drawn[0]} cannot be staffed: firm {new} (A) has 1 qualifying "
                              "inspector(s), needs 2: same district (cross_district) removes 7. "
                              "To fix: add inspectors, raise max_per_inspector, or lower rotation_days")


def test_a_replaced_firm_is_not_replaced_twice_but_its_replacement_can_be(vector: dict) -> None:
    ctx, drawn = _replace_context(vector)
    state = amend.initial_state(ctx)
    first, second = vector["replace"]["strata"][0]["replacements"][:2]
    rows = amend.replace_firm(ctx, state, drawn[0])
    amend.apply(state, rows)
    assert state.replaced(first) == drawn[0] and state.removed == [drawn[0]]
    assert state.replaced(drawn[1]) is None  # a firm of the draw as drawn replaced nothing
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(ctx, state, drawn[0])
    assert str(exc.value) == f"firm {drawn[0]} was already removed from the draw (replaced by {first})"
    # The replacement belongs to the same stratum: replacing it draws that stratum's 2nd replacement.
    rows = amend.replace_firm(ctx, state, first)
    assert [(r.uscc, r.replacement) for r in rows] == [(first, second)]


def test_replacement_team_is_least_cost_and_may_reuse_the_removed_firms_team(vector: dict) -> None:
    """The removed firm's team is freed first (SPEC §7): with every inspector at max_per_inspector
    the replacement is staffed from it; the team is the least-cost one, ties to smaller ids."""
    ctx, drawn = _replace_context(vector)
    six = [i for i in ctx.inputs.inspectors if i.inspector_id < "ZZ-6"]
    teams = [("ZZ-0", "ZZ-1"), ("ZZ-2", "ZZ-3"), ("ZZ-4", "ZZ-5")]
    busy = amend.Context(ctx.seed, Rules(2, 1, True, 365), FIRST, LAST, Inputs(ctx.inputs.firms, six, [], [], []),
                         ctx.frame, list(zip(drawn, teams, strict=True)))
    new = vector["replace"]["strata"][0]["replacements"][0]
    rows = amend.replace_firm(busy, amend.initial_state(busy), drawn[0])
    assert rows == [amend.Row(amend.REPLACE, drawn[0], "", new, ("ZZ-0", "ZZ-1"))]
    # With everyone free, the cheapest pair by assign_cost(seed, new firm, inspector).
    rows = amend.replace_firm(ctx, amend.initial_state(ctx), drawn[0])
    ids = [i.inspector_id for i in ctx.inputs.inspectors]
    cheapest = min(combinations(sorted(ids), 2), key=lambda t: (sum(assign_cost(ctx.seed, new, i) for i in t), t))
    assert rows == [amend.Row(amend.REPLACE, drawn[0], "", new, cheapest)]


def test_replacement_arguments_are_checked() -> None:
    with pytest.raises(ValueError) as exc:
        amend.replacement_firm("s", "key", 1, [])
    assert str(exc.value) == "stratum key: no candidates for a replacement"
    with pytest.raises(ValueError) as exc:
        amend.replacement_stratum("key", 0)
    assert str(exc.value) == "replacement number must be ≥ 1, got 0"


def _staffing_context(vector: dict, inspectors: list[InspectorRec], rules: Rules,
                      tags: tuple[str, ...]) -> tuple[amend.Context, str, str]:
    """The replacement vector's first stratum with these inspectors and rules; candidate firms
    carry ``tags``. Returns the context, the drawn firm to replace and its replacement."""
    ctx, drawn = _replace_context(vector)
    firms = [_firm(f.uscc, "A", tags) if f.uscc not in drawn else f for f in ctx.inputs.firms]
    c = amend.Context(ctx.seed, rules, FIRST, LAST, Inputs(firms, inspectors, [], [], []), ctx.frame, ctx.drawn)
    return c, drawn[0], vector["replace"]["strata"][0]["replacements"][0]


def test_unstaffable_replacement_names_the_need_no_one_covers(vector: dict) -> None:
    # Exactly k = 2 qualify, so the count is enough and the missing specialty is what blocks.
    inspectors = [_insp("ZZ-0", "A", ("辐射",)), _insp("ZZ-1", "B"), _insp("ZZ-2", "B")]
    ctx, old, new = _staffing_context(vector, inspectors, Rules(2, 6, True, 0, {"辐射": "辐射"}), ("辐射",))
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(ctx, amend.initial_state(ctx), old)
    assert str(exc.value) == (
        f"the replacement drawn for {old} cannot be staffed: firm {new} (A) has no qualifying inspector of "
        "specialty 辐射: same district (cross_district) removes 1. "
        "To fix: add eligible inspectors of specialty 辐射 or raise max_per_inspector")


def test_unstaffable_replacement_counts_the_inspectors_at_the_cap(vector: dict) -> None:
    """The drawn teams' members are at max_per_inspector (2) even after the removed firm's team is
    freed; a firm of a stratum with team size 3 needs 3."""
    inspectors = [_insp("ZZ-0", "B"), _insp("ZZ-1", "B"), _insp("ZZ-2", "B"), _insp("ZZ-3", "A"), _insp("ZZ-4", "B")]
    new = vector["replace"]["strata"][0]["replacements"][0]
    ctx, old, _ = _staffing_context(vector, inspectors, Rules(2, 2, True, 0, team_size_of={new: 3}), ())
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(ctx, amend.initial_state(ctx), old)
    assert str(exc.value) == (
        f"the replacement drawn for {old} cannot be staffed: firm {new} (A) has 2 qualifying inspector(s), needs 3: "
        "same district (cross_district) removes 1; already at max_per_inspector (2) removes 2. "
        "To fix: add inspectors, raise max_per_inspector, or lower rotation_days")


def test_unstaffable_replacement_says_no_team_covers_all_needs_at_once(vector: dict) -> None:
    """Each need is covered by someone, but no team of k covers them all together."""
    inspectors = [_insp("ZZ-0", "B", ("辐射",)), _insp("ZZ-1", "B", (), MKT), _insp("ZZ-2", "B", ("危废",)),
                  _insp("ZZ-3", "A")]
    rules = Rules(2, 6, True, 0, {"辐射": "辐射", "涉危废": "危废"}, (ECO, MKT))
    ctx, old, new = _staffing_context(vector, inspectors, rules, ("涉危废", "辐射"))
    with pytest.raises(AmendmentRefused) as exc:
        amend.replace_firm(ctx, amend.initial_state(ctx), old)
    assert str(exc.value) == (
        f"the replacement drawn for {old} cannot be staffed: firm {new} (A): no team of 2 qualifying inspectors "
        "covers department 市场监管, department 生态环境, specialty 危废, specialty 辐射 at once "
        "(same district (cross_district) removes 1). To fix: add inspectors who cover several of them, "
        "or raise team_size")


def test_context_and_current_assignments_from_a_bundle() -> None:
    """verify and the auditor's kit build the amendment context from a bundle's files: the frame
    (stratum, exact weight, selected, eligible) and the drawn teams must come through unchanged,
    and with no amendment the current assignments are the drawn ones."""
    import csv
    import io

    from inspect_sched.schema.periods import parse_period
    from inspect_sched.schema.policy import policy_from_dict

    root = Path(__file__).resolve().parent / "data" / "release-0.1" / "draw-2026-12"
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    manifest = json.loads(files["manifest.json"])
    period = parse_period(manifest["period"])
    rules = Rules.from_policy(policy_from_dict(manifest["policy"]), manifest["departments"])
    ctx = amend.context_from_files(files, manifest["seed"], rules, period.first_day, period.last_day, ["special"])
    assert (ctx.seed, ctx.rules, ctx.first_day, ctx.last_day, ctx.full_coverage) == (
        manifest["seed"], rules, period.first_day, period.last_day, frozenset({"special"}))
    frame = list(csv.DictReader(io.StringIO(files["frame.csv"].decode("utf-8"))))
    assert ctx.frame == [amend.FrameEntry(r["uscc"], r["stratum"], Fraction(r["weight"]), r["selected"] == "1",
                                          r["excluded_reason"] == "") for r in frame]
    kinds = {(e.selected, e.eligible) for e in ctx.frame}
    assert kinds == {(True, True), (False, True), (False, False)} and len({e.weight for e in ctx.frame}) > 2
    table = list(csv.reader(io.StringIO(files["assignments.csv"].decode("utf-8"))))
    assert table[0] == amend.CURRENT_COLUMNS
    assert ctx.drawn == [(r[0], tuple(r[4].split(";"))) for r in table[1:]]
    assert all(len(team) == 2 for _, team in ctx.drawn)
    state = amend.initial_state(ctx)
    assert amend.current_assignments(ctx, state) == table[1:]
    assert {state.stratum[u] for u in state.order} == {e.stratum for e in ctx.frame if e.selected}
    # After a replacement the replacement comes last, with its own team and names.
    rows = amend.replace_firm(ctx, state, state.order[0])
    amend.apply(state, rows)
    current = amend.current_assignments(ctx, state)
    names = {i.inspector_id: i.name for i in ctx.inspectors}
    new = ctx.firm(rows[0].replacement)
    assert current[:-1] == table[2:] and current[-1] == [
        new.uscc, new.name, new.district, new.address, ";".join(rows[0].team), ";".join(names[i] for i in rows[0].team)]


def test_replay_reports_a_refused_amendment_and_stops() -> None:
    ctx = amend.Context("s", Rules(2, 6, True, 0), FIRST, LAST,
                        Inputs([_firm("F", "A")], [_insp("I01", "B"), _insp("I02", "B")], [], [], []),
                        [amend.FrameEntry("F", "general", Fraction(1), True, True)], [("F", ("I01", "I02"))])
    bad = amend.Row(amend.REPLACE, "X9", "", "Y", ("I01", "I02"))
    _, problems = amend.replay(ctx, [amend.Recorded(1, (bad,), "r", "t"), amend.Recorded(2, (bad,), "r", "t")])
    assert problems == ["amendment 1 (replace-firm X9): amend-v1 refuses it: firm X9 is not in the draw; the current "
                        "firms are in assignments-current.csv of the draw's exported bundle"]


def test_replay_names_a_firm_missing_from_the_inputs(vector: dict) -> None:
    """A recorded replacement that is not in the bundle's inputs: reported, then named when a
    later amendment touches it (not a crash)."""
    ctx, drawn = _replace_context(vector)
    state = amend.initial_state(ctx)
    rows = amend.replace_firm(ctx, state, drawn[0])
    forged = amend.Row(amend.REPLACE, drawn[0], "", "X9", rows[0].team)
    later = amend.Row(amend.SUBSTITUTE, "X9", rows[0].team[0], "ZZ-7", rows[0].team)
    _, problems = amend.replay(ctx, [amend.Recorded(1, (forged,), "r", "t"), amend.Recorded(2, (later,), "r", "t")])
    assert problems == [f"amendment 1 firm {drawn[0]}: replacement 'X9', re-derived '{rows[0].replacement}'",
                        "amendment 2: names X9, which is not in the bundle's inputs"]


def test_replay_keeps_every_problem_of_an_amendment(vector: dict) -> None:
    ctx, rows = _recorded(vector)
    bad = [rows[0], amend.Row(rows[1].action, F4, "ZZ-0006", "ZZ-0003", ("ZZ-0003", "ZZ-0005"))]
    _, problems = amend.replay(ctx, [amend.Recorded(3, tuple(bad), "", "t")])
    assert problems == ["amendment 3: expected sequence 1 (an amendment is missing or renumbered)",
                        "amendment 3: has no reason",
                        f"amendment 3 firm {F4}: replacement 'ZZ-0003', re-derived 'ZZ-0002'",
                        f"amendment 3 firm {F4}: team ZZ-0003;ZZ-0005, re-derived ZZ-0002;ZZ-0005"]


def test_current_assignments_have_the_columns_of_the_draws_task_sheet() -> None:
    """assignments-current.csv has exactly the columns of the draw's assignments.csv (a mode
    column, a joint task's departments and units), each cell from the current team."""
    cert = dt.date(2030, 1, 1)
    people = [InspectorRec("I01", "甲", "市支队", "B", ECO, cert, True, ()),
              InspectorRec("I02", "乙", "市局", "B", MKT, cert, True, ()),
              InspectorRec("I03", "丙", "分局", "C", MKT, cert, True, ())]
    firms = [_firm("F1", "A", category="special"), _firm("F2", "A")]
    frame = [amend.FrameEntry("F1", "offsite", Fraction(1), True, True),
             amend.FrameEntry("F2", "general", Fraction(1), True, True)]
    ctx = amend.Context("s", Rules(2, 6, True, 0, departments=(ECO, MKT)), FIRST, LAST,
                        Inputs(firms, people, [], [], []), frame, [("F1", ("I01", "I02")), ("F2", ("I01", "I03"))])
    header = b"uscc,name,district,address,stratum,mode,inspector_ids,inspector_names,inspector_departments,inspector_units\n"
    columns = amend.current_columns(header + b"F1,x,A,,offsite,\xe9\x9d\x9e\xe7\x8e\xb0\xe5\x9c\xba,I01;I02,,,\n")
    assert columns == ["uscc", "name", "district", "address", "mode", "inspector_ids", "inspector_names",
                       "inspector_departments", "inspector_units"]  # stratum is not a task-sheet column
    rows = amend.current_assignments(ctx, amend.initial_state(ctx), columns, {"offsite": "非现场"})
    assert rows == [
        ["F1", "企业F1", "A", "", "非现场", "I01;I02", "甲;乙", f"{ECO};{MKT}", "市支队;市局"],
        ["F2", "企业F2", "A", "", "现场", "I01;I03", "甲;丙", f"{ECO};{MKT}", "市支队;分局"]]
    # A draw-v1 sheet (the six columns) or an unreadable header: the six columns.
    assert amend.current_columns(b"uscc,name,district,address,inspector_ids,inspector_names\n") == amend.CURRENT_COLUMNS
    assert amend.current_columns(b"a,b\n") == amend.CURRENT_COLUMNS
    assert amend.current_columns(b"") == amend.CURRENT_COLUMNS
