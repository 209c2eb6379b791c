"""Which (firm, inspector) pairs assign-v1 allows, and the first reason for each that it does not.

Standard library only: the auditor's kit runs it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from inspect_sched.core.assign.rules import Rules
from inspect_sched.core.inputs import Conflict, Firm, Inspection, InspectorRec
from inspect_sched.schema.periods import within_days_before


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
            if rules.district_bound(i.department, i.unit):
                by_district[i.district].append(i.inspector_id)
        for f in firms:
            for iid in by_district.get(f.district, ()):
                out.setdefault((f.uscc, iid), "same_district")
    for c in sorted(conflicts, key=lambda c: (c.uscc, c.inspector_id)):
        if c.uscc in usccs and c.inspector_id in ids:
            out.setdefault((c.uscc, c.inspector_id), "conflict")
    for h in sorted(history, key=lambda h: (h.uscc, h.date, h.inspector_ids)):
        if h.uscc not in usccs or not within_days_before(first_day, h.date, rules.rotation_days):
            continue
        for iid in h.inspector_ids:
            if iid in ids:
                out.setdefault((h.uscc, iid), "rotation")
    return out


def eligible_pairs(
    firms: Iterable[Firm], inspectors: Iterable[InspectorRec], exclusions
) -> list[tuple[str, str]]:
    """Sorted (uscc, inspector_id) pairs not excluded (for reports and tests)."""
    ids = sorted(i.inspector_id for i in inspectors)
    return [
        (f.uscc, i) for f in sorted(firms, key=lambda f: f.uscc) for i in ids if (f.uscc, i) not in exclusions
    ]
