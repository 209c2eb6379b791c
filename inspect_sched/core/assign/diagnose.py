"""Why an assignment is impossible, said so that a clerk can fix it (SPEC §4)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np

from inspect_sched.core.assign.model import _Instance
from inspect_sched.core.assign.rules import REASONS
from inspect_sched.errors import AssignmentInfeasible

_MAX_SHOWN = 10  # firm ids listed per message group


def _firm_count(n: int) -> str:
    return f"{n} firm" if n == 1 else f"{n} firms"


def _range(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}–{hi}"


_ADVICE = {
    "inactive": "reactivate inspectors or add active ones",
    "certificate_expired": "check certificates (cert_valid_until must cover the period's last day)",
    "department": "add inspectors of the task's departments",
    "same_district": "add inspectors from another district, exempt city-level partner staff with "
                     "cross_district_exempt = [\"DEPARTMENT\"], or set cross_district = false",
    "conflict": "review the declared conflicts (回避)",
    "rotation": "lower rotation_days or add inspectors",
}


def _precheck(inst: _Instance, exclusions: Mapping[tuple[str, str], str]) -> None:
    """Per-firm and global counting checks; raise a helpful AssignmentInfeasible."""
    groups: dict[tuple, list[tuple[str, Counter]]] = defaultdict(list)
    # Only the task's departments' inspectors matter: counting the others ("department
    # removes 17") over the whole pool says nothing a clerk can act on.
    # A missing department or specialty is explained by the inspectors of that group alone.
    depts = set(inst.depts)
    ids = [i.inspector_id for i in inst.inspectors if i.department in depts]
    group_ids = {g: [i.inspector_id for i, m in zip(inst.inspectors, mask, strict=True)
                     if m and i.department in depts]
                 for g, mask in inst.member.items()}
    for f, idx, need, k in zip(inst.firms, inst.elig, inst.needs, inst.ks.tolist(), strict=True):
        problems: list[tuple[Any, ...]] = []
        if len(idx) < k:
            problems.append(("count", len(idx), k))
        for g in need:
            if not inst.member[g][idx].any():
                problems.append(g)
        if not problems:
            continue
        for p in problems:
            who = ids if p[0] == "count" else group_ids[p]
            reasons = Counter(exclusions[(f.uscc, i)] for i in who if (f.uscc, i) in exclusions)
            groups[(p, f.district)].append((f.uscc, reasons))
    if groups:
        lines, advice = [], set()
        for (problem, district), items in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            n = len(items)
            have = "has" if n == 1 else "have"
            if problem[0] == "count":
                what = (
                    f"{have} only {problem[1]} eligible inspector{'s' if problem[1] != 1 else ''}, need {problem[2]}"
                )
            elif problem[0] == "dept":
                what = (f"{have} no eligible inspector of department {problem[1]} "
                        f"({len(group_ids[problem])} in the pool)")
                advice.add(f"add eligible inspectors of department {problem[1]}")
            else:
                what = (f"{have} no eligible inspector with specialty {problem[1]} "
                        f"({len(group_ids[problem])} in the task's departments)")
                advice.add(f"add eligible inspectors with specialty {problem[1]}")
            totals: Counter[str] = Counter()
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
        pool = ", ".join(f"{sum(1 for i in inst.inspectors if i.department == d)} of {d}" for d in inst.depts)
        raise AssignmentInfeasible(
            f"no inspector assignment satisfies every rule (inspectors of the task: {pool}):\n  "
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
    places = int(inst.ks.sum())
    coverable = int(np.minimum(reach, cap).sum())
    if coverable < places:
        sizes = str(inst.k) if int(inst.ks.min()) == inst.k else f"{int(inst.ks.min())}–{inst.k}"
        raise AssignmentInfeasible(
            f"k·F = {places} team places ({len(inst.firms)} firms × {sizes}) but the eligible "
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
