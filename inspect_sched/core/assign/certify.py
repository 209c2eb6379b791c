"""The optimality certificate of an assignment: its file format and its exact check.

Standard library only: the auditor's kit runs it (the solver side that *finds* the duals is
``duals.py``). The README ("The optimality certificate") explains the format for a reader
who wants to check it by hand; in short:

The LP relaxation of assign-v1 over every eligible pair ``j = (f, i)`` with ``0 ≤ x_j ≤ 1``::

    minimise  Σ_j cost_j · x_j
    team      Σ_{i} x_fi       = k_f             for each drawn firm f     dual y_team[f]  (free)
    cover     Σ_{i ∈ g} x_fi   ≥ 1               for each need g of f      dual y_cover[f,g] ≥ 0
    cap       Σ_{f} x_fi       ≤ max_per_insp.   for each inspector i      dual y_cap[i]   ≤ 0

For any integers with those signs, put ``rc_j = cost_j − y_team[f] − Σ_{g ∋ i} y_cover[f,g] −
y_cap[i]``. Every assignment ``x`` that meets the rules satisfies (weak duality, the upper
bounds ``x ≤ 1`` taking the negative reduced costs)::

    Σ cost·x = Σ rc·x + Σ_f k_f·y_team[f] + Σ y_cover·(cover rows) + Σ y_cap·(loads)
             ≥ Σ_j min(0, rc_j) + Σ_f k_f·y_team[f] + Σ y_cover + max_per_inspector·Σ y_cap  =  bound

    (k_f is the firm's team size: the task's, or its stratum's where the policy sets one.)

So when ``bound`` equals the teams' cost, no assignment is cheaper. Signs are the only
feasibility condition because the ``x ≤ 1`` duals are ``min(0, rc_j)``, always feasible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from inspect_sched.core.assign.eligibility import PairExclusions
from inspect_sched.core.assign.rules import CERTIFICATE_FORMAT, Assignment, Certificate, Rules
from inspect_sched.core.inputs import Firm, InspectorRec

__all__ = ["CERTIFICATE_FILE", "CERTIFICATE_FORMAT", "Certificate", "check_certificate", "lp_is_integral"]

CERTIFICATE_FILE = "certificate.json"


def need_key(group: tuple[str, str]) -> str:
    """("dept", "生态环境") -> "department:生态环境"; ("spec", "辐射") -> "specialty:辐射"."""
    kind, name = group
    return ("department:" if kind == "dept" else "specialty:") + name


def firm_needs(firm: Firm, rules: Rules) -> list[tuple[str, str]]:
    """The cover rows of a firm: each task department (when there are several), each specialty."""
    depts = sorted(set(rules.departments))
    need = [("dept", d) for d in depts] if len(depts) > 1 else []
    need += [("spec", s) for s in sorted({rules.specialty_required[t] for t in firm.tags
                                          if t in rules.specialty_required})]
    return need


def _meets(group: tuple[str, str], inspector: InspectorRec) -> bool:
    kind, name = group
    return inspector.department == name if kind == "dept" else name in inspector.specialties


def lp_is_integral(
    firms: Sequence[Firm], inspectors: Sequence[InspectorRec], exclusions: Mapping[tuple[str, str], str],
    rules: Rules,
) -> bool:
    """True when the LP relaxation has an integral optimum, so a certificate must close the gap.

    That holds when no eligible inspector meets two needs of the same firm (and no firm has
    more needs than places): the problem is then a min-cost flow with a slot per need, whose
    LP is integral. Otherwise (a joint task *and* a specialty held by one person) the tool
    uses CP-SAT and duality may leave a gap.
    """
    for f in firms:
        need = firm_needs(f, rules)
        if len(need) > rules.k_for(f.uscc):
            return False
        if len(need) < 2:
            continue
        for i in inspectors:
            if (f.uscc, i.inspector_id) not in exclusions and sum(_meets(g, i) for g in need) > 1:
                return False
    return True


# (seed, firms by uscc, inspectors by id, exclusions, rules, cert) -> (Σ min(0, rc), eligible pairs) or None
ReducedCosts = Callable[
    [str, Sequence[Firm], Sequence[InspectorRec], Mapping[tuple[str, str], str], Rules, Certificate],
    "tuple[int, int] | None",
]


@dataclass(frozen=True)
class CertificateCheck:
    problems: list[str]  # the certificate is malformed or contradicts the teams
    bound: int | None  # the bound recomputed over every eligible pair
    certified: bool  # bound == the teams' cost
    pairs: int  # eligible pairs the bound was computed over


def check_certificate(
    seed: str,
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    exclusions: Mapping[tuple[str, str], str],
    rules: Rules,
    assignment: Assignment,
    cert: Certificate,
    reduced_costs: ReducedCosts | None = None,
) -> CertificateCheck:
    """Recompute the bound exactly over every eligible pair and compare it with the teams' cost.

    ``assignment.objective`` must already be checked against the teams (``check_assignment``).
    ``reduced_costs``: a faster exact implementation of ``_negative_reduced_costs`` (the tool
    passes a numpy one over worker processes; None from it, or no function, means this one).
    """
    problems: list[str] = []
    name = CERTIFICATE_FILE
    usccs = sorted(f.uscc for f in firms)
    ids = sorted(i.inspector_id for i in inspectors)
    if sorted(cert.team) != usccs:
        problems.append(f"{name}: y_team must name exactly the drawn firms")
    if sorted(cert.cap) != ids:
        problems.append(f"{name}: y_cap must name exactly the inspectors of inputs/inspectors.csv")
    for iid, y in sorted(cert.cap.items()):
        if y > 0:
            problems.append(f"{name}: y_cap[{iid}] = {y} must be ≤ 0 (a capacity row is ≤)")
    for f in sorted(firms, key=lambda f: f.uscc):
        want = sorted(need_key(g) for g in firm_needs(f, rules))
        got = cert.cover.get(f.uscc, {})
        if sorted(got) != want:
            problems.append(f"{name}: y_cover[{f.uscc}] must name exactly the firm's needs {want}")
        for key, y in sorted(got.items()):
            if y < 0:
                problems.append(f"{name}: y_cover[{f.uscc}][{key}] = {y} must be ≥ 0 (a cover row is ≥)")
    extra = sorted(set(cert.cover) - set(usccs))
    if extra:
        problems.append(f"{name}: y_cover names firms that were not drawn: {', '.join(extra)}")
    if cert.objective != assignment.objective:
        problems.append(f"{name}: objective {cert.objective} differs from the teams' cost {assignment.objective}")
    if problems:
        return CertificateCheck(problems, None, False, 0)

    cap = rules.max_per_inspector
    bound = sum(rules.k_for(u) * y for u, y in cert.team.items()) + cap * sum(cert.cap.values())
    bound += sum(sum(v.values()) for v in cert.cover.values())
    insp = sorted(inspectors, key=lambda i: i.inspector_id)
    ordered = sorted(firms, key=lambda f: f.uscc)
    terms = reduced_costs(seed, ordered, insp, exclusions, rules, cert) if reduced_costs is not None else None
    negative, pairs = terms if terms is not None else _negative_reduced_costs(seed, ordered, insp, exclusions,
                                                                              rules, cert)
    bound += negative
    if bound != cert.bound:
        problems.append(f"{name}: bound says {cert.bound}, the duals give {bound} over the {pairs} eligible pairs")
    if bound > assignment.objective:
        problems.append(
            f"{name}: the duals prove that every assignment costs at least {bound}, more than the "
            f"teams' {assignment.objective}: the teams or the certificate were changed"
        )
    return CertificateCheck(problems, bound, bound == assignment.objective, pairs)


def eligible_indices(
    firms: Sequence[Firm], inspectors: Sequence[InspectorRec], exclusions: Mapping[tuple[str, str], str],
) -> Iterator[tuple[Firm, Sequence[int]]]:
    """Per firm (in the given order), the positions in ``inspectors`` of its eligible inspectors.

    From the factors of a ``PairExclusions`` (per inspector, per district, a few pairs) when
    it has them, instead of the dict of every blocked pair (2 million entries in a province).
    """
    index = {i.inspector_id: n for n, i in enumerate(inspectors)}
    if isinstance(exclusions, PairExclusions) and not exclusions.mutated:
        ex = exclusions
        base = [n for n, i in enumerate(inspectors) if i.inspector_id not in ex.whole]
        by_district: dict[str, set[int]] = {}
        for n, i in enumerate(inspectors):
            d = ex.bound_district.get(i.inspector_id)
            if d is not None:
                by_district.setdefault(d, set()).add(n)
        pairs: dict[str, set[int]] = {}
        for uscc, iid in ex.pairs:
            if iid in index:
                pairs.setdefault(uscc, set()).add(index[iid])
        cache: dict[frozenset[str], list[int]] = {}
        for f in firms:
            districts = ex.firm_districts.get(f.uscc)
            if districts is None:  # not a firm the exclusions were made for: none apply
                yield f, range(len(inspectors))
                continue
            key = frozenset(districts) if ex.cross_district else frozenset()
            idx = cache.get(key)
            if idx is None:
                out: set[int] = set().union(*(by_district.get(d, set()) for d in key))
                idx = cache[key] = [n for n in base if n not in out] if out else base
            extra = pairs.get(f.uscc)
            yield f, [n for n in idx if n not in extra] if extra else idx
        return
    blocked: dict[str, set[int]] = {}
    for uscc, iid in exclusions:
        if iid in index:
            blocked.setdefault(uscc, set()).add(index[iid])
    everyone = range(len(inspectors))
    for f in firms:
        out_ = blocked.get(f.uscc)
        yield f, [n for n in everyone if n not in out_] if out_ else everyone


def _negative_reduced_costs(
    seed: str, firms: Sequence[Firm], insp: Sequence[InspectorRec], exclusions: Mapping[tuple[str, str], str],
    rules: Rules, cert: Certificate,
) -> tuple[int, int]:
    """``Σ min(0, rc_j)`` over every eligible pair, and the number of pairs; plain Python.

    The hot loop of the kit (every eligible pair, 14 million in a province draw): list
    comprehensions over plain ints; the cost is the pair's ticket's top 40 bits (assign_cost).
    """
    ids = [i.inspector_id for i in insp]
    id_bytes = [i.encode() for i in ids]
    y_cap = [cert.cap[i] for i in ids]
    members: dict[tuple[str, str], set[int]] = {}
    total = pairs = 0
    from_bytes = int.from_bytes
    for f, idx in eligible_indices(firms, insp, exclusions):
        # A hasher primed with the firm's prefix, copied per pair: cheaper than hashing it anew.
        copy = hashlib.sha256(f"{seed}|assign|{f.uscc}|".encode()).copy
        costs = []
        for n in idx:
            h = copy()
            h.update(id_bytes[n])
            costs.append(from_bytes(h.digest()[:5], "big"))
        base = cert.team[f.uscc]
        # rc < 0 exactly when cost < y_team + y_cap[i] + Σ y_cover of the needs i meets.
        threshold = [base + y_cap[n] for n in idx]
        for g in firm_needs(f, rules):
            y = cert.cover[f.uscc][need_key(g)]
            if y:
                if g not in members:
                    members[g] = {n for n, i in enumerate(insp) if _meets(g, i)}
                m = members[g]
                threshold = [t + y if n in m else t for t, n in zip(threshold, idx, strict=True)]
        total += sum(c - t for c, t in zip(costs, threshold, strict=True) if c < t)
        pairs += len(idx)
    return total, pairs
