"""An assignment re-checked against every assign-v1 rule, independently of any solver.

Standard library only: the auditor's kit runs it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from inspect_sched.core.assign.rules import Assignment, Rules
from inspect_sched.core.inputs import Firm, InspectorRec
from inspect_sched.core.tickets import assign_cost


def check_assignment(
    seed: str,
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    exclusions: Mapping[tuple[str, str], str],
    rules: Rules,
    assignment: Assignment,
) -> list[str]:
    """Every rule re-checked from scratch; a list of differences (empty when all hold).

    Optimality is not re-proven here (``verify`` re-runs ``assign`` for that).
    """
    problems: list[str] = []
    by_id = {i.inspector_id: i for i in inspectors}
    firm_ids = sorted(f.uscc for f in firms)
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
        k = rules.k_for(f.uscc)
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
        for m in members:
            # Re-checked here from the inspector's own fields, not only through ``exclusions``;
            # said once: a pair already named as same_district above is not named again.
            if (m.district == f.district and rules.district_bound(m.department, m.unit)
                    and exclusions.get((f.uscc, m.inspector_id)) != "same_district"):
                problems.append(f"{f.uscc}: inspector {m.inspector_id} is from the firm's district {f.district} "
                                "(cross_district)")
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
