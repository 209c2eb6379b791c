"""Inspector assignment (SPEC §4 "Assignment (assign-v1)"): eligibility, exact optimum, checks.

Pure and database-free. ``pair_exclusions`` says which (firm, inspector) pairs are blocked and
why; ``assign`` finds the team assignment of least total cost and *proves* it optimal;
``check_assignment`` re-checks a stored assignment independently (used by ``verify``).

Solver strategy
---------------
* The plain case (one department, no specialty requirement among the firms) is a min-cost
  flow: source → firm (k) → inspector (1, cost) → sink (max_per_inspector), solved exactly by
  OR-Tools ``SimpleMinCostFlow``. Otherwise CP-SAT (one worker, fixed seed, no time limit)
  solves the integer model and must report OPTIMAL.
* At scale, the model only holds each firm's cheapest *candidate* pairs (plus the cheapest
  of every department / specialty the firm needs). Optimality over **all** eligible pairs is
  then certified with LP duality: for any sign-valid dual vector ``y`` of the LP relaxation
  (taken from GLOP on the restricted model, rounded to integers — its accuracy affects only
  tightness, never validity), every integer solution ``x`` satisfies
  ``cost(x) ≥ L(y) + Σ_j max(0, rc_j)·x_j`` where ``L(y) = bᵀy + Σ_j min(0, rc_j)`` is
  computed exactly over every eligible pair. So a solution that used an excluded pair ``j``
  costs at least ``L(y) + rc_j``; when that exceeds the restricted optimum for every
  excluded pair, the restricted optimum is the global one. Pairs that fail the test are
  added and the model is solved again, until none fails (or all pairs are in).
No wall-clock limit decides anything; all input is sorted by id first.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import compress

import numpy as np
import ortools

from inspect_sched.errors import AssignmentInfeasible
from inspect_sched.inputs import Conflict, Firm, Inspection, InspectorRec
from inspect_sched.sampling import assign_cost

__all__ = [
    "REASONS",
    "Assignment",
    "Rules",
    "assign",
    "check_assignment",
    "eligible_pairs",
    "pair_exclusions",
]

DEFAULT_DEPARTMENT = "生态环境"
REASONS = ("inactive", "certificate_expired", "department", "same_district", "conflict", "rotation")
_ORTOOLS = "ortools-" + ".".join(ortools.__version__.split(".")[:2])
_MAX_SHOWN = 10  # firm ids listed per message group


@dataclass(frozen=True)
class Rules:
    team_size: int
    max_per_inspector: int
    cross_district: bool
    rotation_days: int
    specialty_required: dict[str, str] = field(default_factory=dict)
    departments: tuple[str, ...] = (DEFAULT_DEPARTMENT,)

    @classmethod
    def from_policy(cls, policy, departments: Sequence[str] = ()) -> Rules:
        return cls(
            team_size=policy.team_size,
            max_per_inspector=policy.max_per_inspector,
            cross_district=policy.cross_district,
            rotation_days=policy.rotation_days,
            specialty_required=dict(sorted(policy.specialty_required.items())),
            departments=tuple(sorted(set(departments))) or (DEFAULT_DEPARTMENT,),
        )

    @property
    def k(self) -> int:
        """Team size actually used: at least one member per department."""
        return max(self.team_size, len(set(self.departments)))


@dataclass(frozen=True)
class Assignment:
    teams: dict[str, tuple[str, ...]]  # uscc -> sorted inspector ids
    objective: int
    solver: str
    status: str


# --------------------------------------------------------------------------- eligibility


def pair_exclusions(
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    conflicts: Sequence[Conflict],
    history: Sequence[Inspection],
    rules: Rules,
    first_day: date,
    last_day: date,
) -> dict[tuple[str, str], str]:
    """``(uscc, inspector_id) -> first blocking reason`` (order: ``REASONS``); absent = eligible."""
    firms = sorted(firms, key=lambda f: f.uscc)
    inspectors = sorted(inspectors, key=lambda i: i.inspector_id)
    departments = set(rules.departments)
    out: dict[tuple[str, str], str] = {}
    ids = {i.inspector_id for i in inspectors}
    usccs = {f.uscc for f in firms}
    # Reasons that hold for every firm come first in the order.
    for i in inspectors:
        if not i.active:
            reason = "inactive"
        elif i.cert_valid_until < last_day:
            reason = "certificate_expired"
        elif i.department not in departments:
            reason = "department"
        else:
            continue
        for f in firms:
            out[(f.uscc, i.inspector_id)] = reason
    if rules.cross_district:
        by_district: dict[str, list[str]] = defaultdict(list)
        for i in inspectors:
            by_district[i.district].append(i.inspector_id)
        for f in firms:
            for iid in by_district.get(f.district, ()):
                out.setdefault((f.uscc, iid), "same_district")
    for c in sorted(conflicts, key=lambda c: (c.uscc, c.inspector_id)):
        if c.uscc in usccs and c.inspector_id in ids:
            out.setdefault((c.uscc, c.inspector_id), "conflict")
    for h in sorted(history, key=lambda h: (h.uscc, h.date, h.inspector_ids)):
        if h.uscc not in usccs or not 0 <= (first_day - h.date).days <= rules.rotation_days:
            continue
        for iid in h.inspector_ids:
            if iid in ids:
                out.setdefault((h.uscc, iid), "rotation")
    return out


# --------------------------------------------------------------------------- costs


def _costs(seed: str, uscc: str, id_bytes: Sequence[bytes]) -> np.ndarray:
    """``assign_cost(seed, uscc, id)`` for many ids at once (int64 array; top 40 bits)."""
    prefix = f"{seed}|assign|{uscc}|".encode()
    sha = hashlib.sha256
    buf = b"".join([sha(prefix + b).digest()[:8] for b in id_bytes])
    return (np.frombuffer(buf, dtype=">u8") >> np.uint64(24)).astype(np.int64)


# --------------------------------------------------------------------------- the instance


@dataclass
class _Instance:
    seed: str
    firms: list[Firm]
    inspectors: list[InspectorRec]
    rules: Rules
    k: int
    depts: tuple[str, ...]  # sorted task departments
    elig: list[np.ndarray]  # per firm: sorted eligible inspector indices (int64)
    cost: list[np.ndarray]  # per firm: costs aligned with elig
    needs: list[list[tuple[str, str]]]  # per firm: coverage groups ("dept", d) / ("spec", s)
    member: dict[tuple[str, str], np.ndarray]  # group -> bool mask over inspectors

    @property
    def plain(self) -> bool:
        return not any(self.needs)


def _instance(seed, firms, inspectors, exclusions, rules) -> _Instance:
    firms = sorted(firms, key=lambda f: f.uscc)
    inspectors = sorted(inspectors, key=lambda i: i.inspector_id)
    if len({f.uscc for f in firms}) != len(firms):
        raise ValueError("duplicate firm in the assignment input")
    if len({i.inspector_id for i in inspectors}) != len(inspectors):
        raise ValueError("duplicate inspector in the assignment input")
    depts = tuple(sorted(set(rules.departments)))
    index = {i.inspector_id: n for n, i in enumerate(inspectors)}
    blocked: dict[str, list[int]] = defaultdict(list)
    for (uscc, iid), _reason in exclusions.items():
        if iid in index:
            blocked[uscc].append(index[iid])
    id_bytes = [i.inspector_id.encode() for i in inspectors]
    n_insp = len(inspectors)
    member: dict[tuple[str, str], np.ndarray] = {}
    if len(depts) > 1:
        for d in depts:
            member[("dept", d)] = np.array([i.department == d for i in inspectors], dtype=bool)
    elig, cost, needs = [], [], []
    for f in firms:
        mask = np.ones(n_insp, dtype=bool)
        if blocked.get(f.uscc):
            mask[blocked[f.uscc]] = False
        idx = np.flatnonzero(mask).astype(np.int64)
        elig.append(idx)
        cost.append(_costs(seed, f.uscc, list(compress(id_bytes, mask)) if len(idx) < n_insp else id_bytes))
        need = [("dept", d) for d in depts] if len(depts) > 1 else []
        specs = sorted({rules.specialty_required[t] for t in f.tags if t in rules.specialty_required})
        for s in specs:
            g = ("spec", s)
            if g not in member:
                member[g] = np.array([s in i.specialties for i in inspectors], dtype=bool)
            need.append(g)
        needs.append(need)
    return _Instance(seed, firms, inspectors, rules, rules.k, depts, elig, cost, needs, member)


# --------------------------------------------------------------------------- infeasibility


def _firm_count(n: int) -> str:
    return f"{n} firm" if n == 1 else f"{n} firms"


def _range(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}–{hi}"


_ADVICE = {
    "inactive": "reactivate inspectors or add active ones",
    "certificate_expired": "check certificates (cert_valid_until must cover the period's last day)",
    "department": "add inspectors of the task's departments",
    "same_district": "add inspectors from another district, or set cross_district = false",
    "conflict": "review the declared conflicts (回避)",
    "rotation": "lower rotation_days or add inspectors",
}


def _precheck(inst: _Instance, exclusions: dict[tuple[str, str], str]) -> None:
    """Per-firm and global counting checks; raise a helpful AssignmentInfeasible."""
    k = inst.k
    groups: dict[tuple, list[tuple[str, Counter]]] = defaultdict(list)
    ids = [i.inspector_id for i in inst.inspectors]
    for f, idx, need in zip(inst.firms, inst.elig, inst.needs, strict=True):
        problems = []
        if len(idx) < k:
            problems.append(("count", len(idx)))
        for g in need:
            if not inst.member[g][idx].any():
                problems.append(g)
        if not problems:
            continue
        reasons = Counter(exclusions[(f.uscc, i)] for i in ids if (f.uscc, i) in exclusions)
        for p in problems:
            groups[(p, f.district)].append((f.uscc, reasons))
    if groups:
        lines, advice = [], set()
        for (problem, district), items in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            n = len(items)
            have = "has" if n == 1 else "have"
            if problem[0] == "count":
                what = (
                    f"{have} only {problem[1]} eligible inspector{'s' if problem[1] != 1 else ''}, need {k}"
                )
            elif problem[0] == "dept":
                what = f"{have} no eligible inspector of department {problem[1]}"
                advice.add(f"add eligible inspectors of department {problem[1]}")
            else:
                what = f"{have} no eligible inspector with specialty {problem[1]}"
                advice.add(f"add eligible inspectors with specialty {problem[1]}")
            totals = Counter()
            for _u, r in items:
                totals.update(r.keys())
            why = ", ".join(f"{r} removes {_range([c[r] for _u, c in items])}" for r in REASONS if totals[r])
            advice.update(_ADVICE[r] for r in REASONS if totals[r])
            shown = [u for u, _ in items[:_MAX_SHOWN]] + (["…"] if n > _MAX_SHOWN else [])
            lines.append(
                f"{_firm_count(n)} in {district} {what}"
                + (f": {why}" if why else "")
                + f" ({', '.join(shown)})"
            )
        raise AssignmentInfeasible(
            "no inspector assignment satisfies every rule:\n  "
            + "\n  ".join(lines)
            + "\nTo fix: "
            + "; ".join(sorted(advice))
            + "."
        )
    _capacity_check(inst)


def _capacity_check(inst: _Instance) -> None:
    cap = inst.rules.max_per_inspector
    n_insp = len(inst.inspectors)
    reach = np.zeros(n_insp, dtype=np.int64)
    for idx in inst.elig:
        reach[idx] += 1
    places = inst.k * len(inst.firms)
    coverable = int(np.minimum(reach, cap).sum())
    if coverable < places:
        raise AssignmentInfeasible(
            f"k·F = {places} team places ({len(inst.firms)} firms × {inst.k}) but the eligible "
            f"inspectors can cover at most {coverable} with max_per_inspector = {cap}; "
            "raise max_per_inspector or add inspectors"
        )
    for g in sorted({g for need in inst.needs for g in need}):
        firms_needing = sum(1 for need in inst.needs if g in need)
        r = np.zeros(n_insp, dtype=np.int64)
        for idx, need in zip(inst.elig, inst.needs, strict=True):
            if g in need:
                r[idx] += 1
        avail = int(np.minimum(r, cap)[inst.member[g]].sum())
        if avail < firms_needing:
            kind = "department" if g[0] == "dept" else "specialty"
            raise AssignmentInfeasible(
                f"{firms_needing} firms need an inspector of {kind} {g[1]} but those inspectors can "
                f"serve at most {avail} of them with max_per_inspector = {cap}; "
                f"raise max_per_inspector or add inspectors of {kind} {g[1]}"
            )


def _solver_infeasible(inst: _Instance) -> AssignmentInfeasible:
    return AssignmentInfeasible(
        f"no assignment of {len(inst.firms)} firms × {inst.k} inspectors exists: every firm has enough "
        f"eligible inspectors on its own, but they cannot all be staffed at once with "
        f"max_per_inspector = {inst.rules.max_per_inspector} (too many firms share the same few "
        "inspectors); raise max_per_inspector or add inspectors"
    )


# --------------------------------------------------------------------------- candidates


def _cheapest(c: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` smallest entries of ``c`` (all when there are fewer)."""
    if len(c) <= n:
        return np.arange(len(c))
    return np.argpartition(c, n - 1)[:n]


def _initial_candidates(inst: _Instance, per_firm: int, per_group: int) -> list[np.ndarray]:
    """Per firm: positions (into elig/cost) of the cheapest pairs, plus the cheapest per group."""
    cands = []
    for idx, c, need in zip(inst.elig, inst.cost, inst.needs, strict=True):
        if len(idx) <= per_firm:
            cands.append(np.arange(len(idx)))
            continue
        chosen = [_cheapest(c, per_firm)]
        for g in need:
            pos = np.flatnonzero(inst.member[g][idx])
            chosen.append(pos[_cheapest(c[pos], per_group)])
        cands.append(np.unique(np.concatenate(chosen)))
    return cands


# --------------------------------------------------------------------------- solvers


def _pairs(inst: _Instance, cands: list[np.ndarray]):
    """Flat arrays (firm, inspector, cost) of the candidate pairs, firm-major, inspector-sorted."""
    fs = np.concatenate([np.full(len(p), n, dtype=np.int64) for n, p in enumerate(cands)])
    ins = np.concatenate([inst.elig[n][p] for n, p in enumerate(cands)])
    cs = np.concatenate([inst.cost[n][p] for n, p in enumerate(cands)])
    return fs, ins, cs


def _run_flow(mcf, src: int, sink: int, total: int, pair_arcs) -> np.ndarray | None:
    """Send ``total`` units from ``src`` to ``sink``; the flow on ``pair_arcs``, or None if infeasible."""
    mcf.set_node_supply(src, total)
    mcf.set_node_supply(sink, -total)
    status = mcf.solve()
    if status == mcf.INFEASIBLE:
        return None
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}, not OPTIMAL")
    return np.asarray(mcf.flows(pair_arcs), dtype=np.int64)


def _solve_flow(inst: _Instance, fs, ins, cs) -> np.ndarray | None:
    """Min-cost flow; returns a 0/1 array over the pairs or None if infeasible."""
    from ortools.graph.python import min_cost_flow

    n_f, n_i = len(inst.firms), len(inst.inspectors)
    src, sink = 0, 1 + n_f + n_i
    mcf = min_cost_flow.SimpleMinCostFlow()
    firm_nodes = np.arange(1, 1 + n_f, dtype=np.int64)
    insp_nodes = np.arange(1 + n_f, 1 + n_f + n_i, dtype=np.int64)
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.full(n_f, src, dtype=np.int64),
        firm_nodes,
        np.full(n_f, inst.k, dtype=np.int64),
        np.zeros(n_f, dtype=np.int64),
    )
    pair_arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        1 + fs, 1 + n_f + ins, np.ones(len(fs), dtype=np.int64), cs
    )
    mcf.add_arcs_with_capacity_and_unit_cost(
        insp_nodes,
        np.full(n_i, sink, dtype=np.int64),
        np.full(n_i, inst.rules.max_per_inspector, dtype=np.int64),
        np.zeros(n_i, dtype=np.int64),
    )
    return _run_flow(mcf, src, sink, inst.k * n_f, pair_arcs)


def _disjoint_needs(inst: _Instance) -> bool:
    """True when no eligible inspector of any firm meets two of that firm's needs at once.

    Then a team is "one member per need + free places", and typed slots in a min-cost flow
    describe exactly the feasible teams (departments are always disjoint; a single
    specialty need is trivially so).
    """
    for idx, need in zip(inst.elig, inst.needs, strict=True):
        if len(need) > inst.k:
            return False
        for a in range(len(need)):
            for b in range(a + 1, len(need)):
                if (inst.member[need[a]][idx] & inst.member[need[b]][idx]).any():
                    return False
    return True


def _solve_typed_flow(inst: _Instance, fs, ins, cs) -> np.ndarray | None:
    """Min-cost flow with a slot per need: source → slot → (firm, inspector) → inspector → sink.

    Each firm gets one slot of capacity 1 per need (only inspectors of that group may fill
    it) and one free slot of capacity k − #needs; the (firm, inspector) node lets a person
    take at most one place in a team. Valid only when ``_disjoint_needs`` holds.
    """
    from ortools.graph.python import min_cost_flow

    n_f, n_i, n_p = len(inst.firms), len(inst.inspectors), len(fs)
    slot_of: dict[tuple[int, tuple[str, str]], int] = {}
    free_slot = np.empty(n_f, dtype=np.int64)
    node = 1
    for f, need in enumerate(inst.needs):
        free_slot[f] = node
        node += 1
        for g in need:
            slot_of[(f, g)] = node
            node += 1
    pair0, insp0 = node, node + n_p
    sink = insp0 + n_i
    mcf = min_cost_flow.SimpleMinCostFlow()
    tails, heads, caps = [], [], []
    for f, need in enumerate(inst.needs):
        tails.append(0)
        heads.append(int(free_slot[f]))
        caps.append(inst.k - len(need))
        for g in need:
            tails.append(0)
            heads.append(slot_of[(f, g)])
            caps.append(1)
    for j, (f, i) in enumerate(zip(fs.tolist(), ins.tolist(), strict=True)):
        tails.append(int(free_slot[f]))
        heads.append(pair0 + j)
        caps.append(1)
        for g in inst.needs[f]:
            if inst.member[g][i]:
                tails.append(slot_of[(f, g)])
                heads.append(pair0 + j)
                caps.append(1)
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64),
        np.array(caps, dtype=np.int64), np.zeros(len(tails), dtype=np.int64),
    )
    pair_arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        pair0 + np.arange(n_p, dtype=np.int64), insp0 + ins, np.ones(n_p, dtype=np.int64), cs
    )
    mcf.add_arcs_with_capacity_and_unit_cost(
        insp0 + np.arange(n_i, dtype=np.int64), np.full(n_i, sink, dtype=np.int64),
        np.full(n_i, inst.rules.max_per_inspector, dtype=np.int64), np.zeros(n_i, dtype=np.int64),
    )
    return _run_flow(mcf, 0, sink, inst.k * n_f, pair_arcs)


def _solve_cpsat(inst: _Instance, fs, ins, cs, hint=None, first_only: bool = False) -> np.ndarray | None:
    """CP-SAT on the given pairs; a 0/1 array, or None if infeasible.

    ``first_only`` stops at the first solution (used only for an upper bound, which decides
    nothing but how many pairs the final model must keep); otherwise OPTIMAL is required.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{j}") for j in range(len(fs))]
    by_firm: dict[int, list[int]] = defaultdict(list)
    by_insp: dict[int, list[int]] = defaultdict(list)
    for j, (f, i) in enumerate(zip(fs.tolist(), ins.tolist(), strict=True)):
        by_firm[f].append(j)
        by_insp[i].append(j)
    for f in range(len(inst.firms)):
        js = by_firm.get(f, [])
        model.add(sum(x[j] for j in js) == inst.k)
        for g in inst.needs[f]:
            m = inst.member[g]
            model.add(sum(x[j] for j in js if m[ins[j]]) >= 1)
    cap = inst.rules.max_per_inspector
    for i in sorted(by_insp):
        js = by_insp[i]
        if len(js) > cap:
            model.add(sum(x[j] for j in js) <= cap)
    model.minimize(sum(int(c) * x[j] for j, c in enumerate(cs.tolist())))
    if hint is not None:
        for j, v in enumerate(hint.tolist()):
            model.add_hint(x[j], bool(v))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    if first_only:
        solver.parameters.stop_after_first_solution = True
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return None
    if status != cp_model.OPTIMAL and not (first_only and status == cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT ended with status {solver.status_name(status)}, not OPTIMAL")
    return np.array([solver.value(v) for v in x], dtype=np.int64)


# --------------------------------------------------------------------------- certificate


def _lp_duals(inst: _Instance, fs, ins, cs):
    """Integer, sign-valid duals of the restricted LP relaxation (GLOP) and its x; or None."""
    from ortools.linear_solver import pywraplp

    scale = float(1 << 24)
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:  # pragma: no cover
        return None
    x = [lp.NumVar(0.0, 1.0, "") for _ in range(len(fs))]
    team = [lp.Constraint(inst.k, inst.k) for _ in inst.firms]
    cover = {(f, g): lp.Constraint(1, lp.infinity()) for f, need in enumerate(inst.needs) for g in need}
    capc = [lp.Constraint(-lp.infinity(), inst.rules.max_per_inspector) for _ in inst.inspectors]
    obj = lp.Objective()
    for j, (f, i, c) in enumerate(zip(fs.tolist(), ins.tolist(), cs.tolist(), strict=True)):
        v = x[j]
        team[f].SetCoefficient(v, 1)
        capc[i].SetCoefficient(v, 1)
        for g in inst.needs[f]:
            if inst.member[g][i]:
                cover[(f, g)].SetCoefficient(v, 1)
        obj.SetCoefficient(v, c / scale)
    obj.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None

    def r(v: float) -> int:
        return round(v * scale)

    y_team = np.array([r(t.dual_value()) for t in team], dtype=np.int64)
    y_cover = {key: max(0, r(con.dual_value())) for key, con in cover.items()}
    y_cap = np.array([min(0, r(con.dual_value())) for con in capc], dtype=np.int64)
    xval = np.array([v.solution_value() for v in x])
    return (y_team, y_cover, y_cap), xval


def _bound(inst: _Instance, duals) -> tuple[int, list[np.ndarray]]:
    """Exact Lagrangian bound L(y) over *all* eligible pairs and each pair's reduced cost.

    Any assignment x costs at least ``L + Σ max(0, rc_j)·x_j``: a pair with ``L + rc > U``
    is in no assignment of cost ≤ U.
    """
    y_team, y_cover, y_cap = duals
    cap = inst.rules.max_per_inspector
    bound = inst.k * int(y_team.sum()) + sum(y_cover.values()) + cap * int(y_cap.sum())
    rcs = []
    for f, (idx, c) in enumerate(zip(inst.elig, inst.cost, strict=True)):
        rc = c - y_team[f] - y_cap[idx]
        for g in inst.needs[f]:
            yg = y_cover[(f, g)]
            if yg:
                rc = rc - yg * inst.member[g][idx]
        bound += int(np.minimum(rc, 0).sum())
        rcs.append(rc)
    return bound, rcs


def _certify(inst: _Instance, cands: list[np.ndarray], objective: int, duals) -> list[np.ndarray]:
    """Positions of non-candidate pairs that the dual bound cannot rule out, per firm."""
    bound, rcs = _bound(inst, duals)
    failing = []
    for f, rc in enumerate(rcs):
        outside = np.ones(len(rc), dtype=bool)
        outside[cands[f]] = False
        failing.append(np.flatnonzero(outside & (bound + rc <= objective)))
    return failing


# --------------------------------------------------------------------------- assign


def _complete(inst: _Instance, cands) -> bool:
    return all(len(p) == len(e) for p, e in zip(cands, inst.elig, strict=True))


def _widen(inst: _Instance, cands, per_firm: int, per_group: int):
    """Candidates infeasible on their own: double the cheapest pairs kept per firm and group."""
    per_firm, per_group = 2 * per_firm, 2 * per_group
    more = _initial_candidates(inst, per_firm, per_group)
    return [np.union1d(a, b) for a, b in zip(cands, more, strict=True)], per_firm, per_group


def _assign_flow(inst: _Instance, cands, per_firm: int, per_group: int, solve=_solve_flow):
    """Min-cost flow on candidates, certified optimal over all pairs (see module doc)."""
    while True:
        complete = _complete(inst, cands)
        fs, ins, cs = _pairs(inst, cands)
        x = solve(inst, fs, ins, cs)
        if x is None:
            if complete:
                raise _solver_infeasible(inst)
            cands, per_firm, per_group = _widen(inst, cands, per_firm, per_group)
            continue
        objective = int(sum(int(c) for c in cs[x == 1].tolist()))
        if complete:
            return fs, ins, x, objective
        lp = _lp_duals(inst, fs, ins, cs)
        if lp is None:  # pragma: no cover - GLOP trouble: fall back to the full model
            cands = [np.arange(len(e)) for e in inst.elig]
            continue
        failing = _certify(inst, cands, objective, lp[0])
        if not any(len(p) for p in failing):
            return fs, ins, x, objective
        cands = [np.union1d(a, b) for a, b in zip(cands, failing, strict=True)]


def _assign_cpsat(inst: _Instance, cands, per_firm: int, per_group: int):
    """CP-SAT on the pairs that LP reduced costs cannot rule out; optimal over all pairs.

    1. LP relaxation on candidates (adding pairs of negative reduced cost, a few rounds)
       gives duals y and the exact bound L(y) over all pairs.
    2. A first CP-SAT solution on the candidates (hinted by the LP) gives an upper bound U.
    3. Every pair with L + rc ≤ U is kept — no optimal assignment uses another — and CP-SAT
       solves that model to proven optimality.
    """
    while True:
        # Each LP is solved once per candidate set: it is deterministic, so solving the same
        # set again at the top of the next round would only repeat the work.
        fs, ins, cs = _pairs(inst, cands)
        lp = _lp_duals(inst, fs, ins, cs)
        for _round in range(6):
            if lp is None:
                break
            _bnd, rcs = _bound(inst, lp[0])
            new = [np.setdiff1d(np.flatnonzero(rc < 0), c) for rc, c in zip(rcs, cands, strict=True)]
            if not any(len(n) for n in new):
                break
            cands = [np.union1d(c, n) for c, n in zip(cands, new, strict=True)]
            fs, ins, cs = _pairs(inst, cands)
            lp = _lp_duals(inst, fs, ins, cs)
        first = None if lp is None else _solve_cpsat(inst, fs, ins, cs, hint=lp[1] >= 0.5, first_only=True)
        if first is None:
            if _complete(inst, cands):
                raise _solver_infeasible(inst)
            cands, per_firm, per_group = _widen(inst, cands, per_firm, per_group)
            continue
        upper = int(sum(int(c) for c in cs[first == 1].tolist()))
        bound, rcs = _bound(inst, lp[0])
        keep = [np.flatnonzero(bound + rc <= upper) for rc in rcs]
        used = set(zip(fs[first == 1].tolist(), ins[first == 1].tolist(), strict=True))
        fs2, ins2, cs2 = _pairs(inst, keep)
        hint = np.array([(f, i) in used for f, i in zip(fs2.tolist(), ins2.tolist(), strict=True)])
        x = _solve_cpsat(inst, fs2, ins2, cs2, hint=hint)
        if x is None:  # pragma: no cover - impossible: the first solution is in the model
            raise RuntimeError("CP-SAT lost the upper-bound solution")
        return fs2, ins2, x, int(sum(int(c) for c in cs2[x == 1].tolist()))


def assign(
    seed: str,
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    exclusions: dict[tuple[str, str], str],
    rules: Rules,
    *,
    _per_firm: int | None = None,
    _per_group: int | None = None,
) -> Assignment:
    """The cost-minimal team assignment (SPEC §4), proven optimal; raise AssignmentInfeasible."""
    inst = _instance(seed, firms, inspectors, exclusions, rules)
    typed = not inst.plain and _disjoint_needs(inst)
    kind = "SimpleMinCostFlow" if inst.plain else "SimpleMinCostFlow (typed slots)" if typed else "CP-SAT"
    if not inst.firms:
        return Assignment({}, 0, f"{_ORTOOLS} {kind}", "OPTIMAL")
    _precheck(inst, exclusions)
    if inst.plain:
        per_firm = _per_firm if _per_firm is not None else 3 * inst.k + 6
        per_group = _per_group if _per_group is not None else 4
        cands = _initial_candidates(inst, per_firm, per_group)
        fs, ins, x, objective = _assign_flow(inst, cands, per_firm, per_group)
    elif typed:
        per_firm = _per_firm if _per_firm is not None else 3 * inst.k + 6
        per_group = _per_group if _per_group is not None else 4
        cands = _initial_candidates(inst, per_firm, per_group)
        fs, ins, x, objective = _assign_flow(inst, cands, per_firm, per_group, _solve_typed_flow)
    else:
        per_firm = _per_firm if _per_firm is not None else inst.k + 2
        per_group = _per_group if _per_group is not None else 2
        cands = _initial_candidates(inst, per_firm, per_group)
        fs, ins, x, objective = _assign_cpsat(inst, cands, per_firm, per_group)
    teams: dict[str, list[str]] = defaultdict(list)
    for f, i in zip(fs[x == 1].tolist(), ins[x == 1].tolist(), strict=True):
        teams[inst.firms[f].uscc].append(inst.inspectors[i].inspector_id)
    return Assignment(
        teams={u: tuple(sorted(teams[u])) for u in sorted(teams)},
        objective=objective,
        solver=f"{_ORTOOLS} {kind}",
        status="OPTIMAL",
    )


# --------------------------------------------------------------------------- independent check


def check_assignment(
    seed: str,
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    exclusions: dict[tuple[str, str], str],
    rules: Rules,
    assignment: Assignment,
) -> list[str]:
    """Every rule re-checked from scratch; a list of differences (empty when all hold).

    Optimality is not re-proven here (``verify`` re-runs ``assign`` for that).
    """
    problems: list[str] = []
    by_id = {i.inspector_id: i for i in inspectors}
    firm_ids = sorted(f.uscc for f in firms)
    k = max(rules.team_size, len(set(rules.departments)))
    departments = sorted(set(rules.departments))
    if sorted(assignment.teams) != firm_ids:
        missing = sorted(set(firm_ids) - set(assignment.teams))
        extra = sorted(set(assignment.teams) - set(firm_ids))
        if missing:
            problems.append(f"assignment: no team for {', '.join(missing)}")
        if extra:
            problems.append(f"assignment: team for a firm that was not drawn: {', '.join(extra)}")
    load: Counter = Counter()
    total = 0
    for f in sorted(firms, key=lambda f: f.uscc):
        team = tuple(assignment.teams.get(f.uscc, ()))
        if not team:
            continue
        if team != tuple(sorted(team)):
            problems.append(f"{f.uscc}: team {list(team)} is not sorted by inspector id")
        if len(set(team)) != len(team):
            problems.append(f"{f.uscc}: team {list(team)} names an inspector twice")
        if len(set(team)) != k:
            problems.append(f"{f.uscc}: team has {len(set(team))} inspectors, rules ask for {k}")
        members = []
        for iid in sorted(set(team)):
            load[iid] += 1
            total += assign_cost(seed, f.uscc, iid)
            if iid not in by_id:
                problems.append(f"{f.uscc}: inspector {iid} is not in the inspector list")
                continue
            if (f.uscc, iid) in exclusions:
                problems.append(f"{f.uscc}: inspector {iid} is not eligible ({exclusions[(f.uscc, iid)]})")
            members.append(by_id[iid])
        for d in departments:
            if not any(m.department == d for m in members):
                problems.append(f"{f.uscc}: no team member from department {d}")
        for tag in sorted(f.tags):
            s = rules.specialty_required.get(tag)
            if s is not None and not any(s in m.specialties for m in members):
                problems.append(f"{f.uscc}: tag {tag} needs specialty {s}, no team member has it")
    for iid, n in sorted(load.items()):
        if n > rules.max_per_inspector:
            problems.append(
                f"inspector {iid} serves {n} firms, max_per_inspector is {rules.max_per_inspector}"
            )
    if total != assignment.objective:
        problems.append(
            f"objective is {assignment.objective}, the costs of the assigned pairs sum to {total}"
        )
    return problems


def eligible_pairs(
    firms: Iterable[Firm], inspectors: Iterable[InspectorRec], exclusions
) -> list[tuple[str, str]]:
    """Sorted (uscc, inspector_id) pairs not excluded (for reports and tests)."""
    ids = sorted(i.inspector_id for i in inspectors)
    return [
        (f.uscc, i) for f in sorted(firms, key=lambda f: f.uscc) for i in ids if (f.uscc, i) not in exclusions
    ]
