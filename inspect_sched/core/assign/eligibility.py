"""Which (firm, inspector) pairs assign-v1 allows, and the first reason for each that it does not.

Standard library only: the auditor's kit runs it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from datetime import date

from inspect_sched.core.assign.rules import Rules
from inspect_sched.core.inputs import Conflict, Firm, Inspection, InspectorRec
from inspect_sched.schema.periods import within_days_before


class PairExclusions(MutableMapping):
    """``(uscc, inspector_id) -> first blocking reason`` without a dict entry per pair.

    At province scale a dict of every blocked pair has ~2M entries (every inactive
    inspector × every firm, every same-district pair); building and then scanning it was
    ~10% of a draw. The reasons factor: per inspector (inactive, certificate, department),
    per district, and a few explicit pairs (conflict, rotation). Lookups answer from those;
    iteration, ``len`` and equality give exactly the dict ``pair_exclusions`` always gave
    (same keys, values and order), built only when asked. ``model._instance`` reads the
    factors directly to make numpy masks. Callers may add bars as to a dict (amendments do):
    the first change turns it into that dict for good.
    """

    def __init__(
        self, firms: Sequence[Firm], inspectors: Sequence[InspectorRec], whole: dict[str, str],
        cross_district: bool, pairs: dict[tuple[str, str], str], bound: set[str] | None = None,
    ) -> None:
        self.firms = firms  # sorted by uscc
        self.inspectors = inspectors  # sorted by id
        self.whole = whole  # inspector id -> reason blocking every firm
        self.cross_district = cross_district
        self.pairs = pairs  # conflict / rotation pairs not already blocked, insertion-ordered
        self.firm_districts: dict[str, set[str]] = defaultdict(set)
        for f in firms:
            self.firm_districts[f.uscc].add(f.district)
        self.district_of = {i.inspector_id: i.district for i in inspectors}
        # Inspectors the same-district bar applies to (cross_district_exempt leaves some out).
        self.bound_district = {
            i.inspector_id: i.district for i in inspectors if bound is None or i.inspector_id in bound
        }
        self._dict: dict[tuple[str, str], str] | None = None
        self.mutated = False  # True once changed: then the dict alone is the truth

    def __setitem__(self, key: tuple[str, str], reason: str) -> None:
        self.as_dict()[key] = reason
        self.mutated = True

    def __delitem__(self, key: tuple[str, str]) -> None:
        del self.as_dict()[key]
        self.mutated = True

    def get(self, key, default=None):  # noqa: ANN001, ANN201 - Mapping's signature
        if self.mutated:
            return self.as_dict().get(key, default)
        uscc, iid = key
        if uscc not in self.firm_districts or iid not in self.district_of:
            return default
        reason = self.whole.get(iid)
        if reason is not None:
            return reason
        if self.cross_district and self.bound_district.get(iid) in self.firm_districts[uscc]:
            return "same_district"
        return self.pairs.get(key, default)

    def __getitem__(self, key: tuple[str, str]) -> str:
        reason = self.get(key)
        if reason is None:
            raise KeyError(key)
        return reason

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 2 and self.get(key) is not None

    def as_dict(self) -> dict[tuple[str, str], str]:
        """The explicit dict, in the order ``pair_exclusions`` has always produced it."""
        if self._dict is None:
            out: dict[tuple[str, str], str] = {}
            for i in self.inspectors:
                reason = self.whole.get(i.inspector_id)
                if reason is not None:
                    for f in self.firms:
                        out[(f.uscc, i.inspector_id)] = reason
            if self.cross_district:
                by_district: dict[str, list[str]] = defaultdict(list)
                for i in self.inspectors:
                    if i.inspector_id in self.bound_district:
                        by_district[i.district].append(i.inspector_id)
                for f in self.firms:
                    for iid in by_district.get(f.district, ()):
                        out.setdefault((f.uscc, iid), "same_district")
            for key, reason in self.pairs.items():
                out.setdefault(key, reason)
            self._dict = out
        return self._dict

    def items(self):  # noqa: ANN201 - the dict's own view, not Mapping's per-key lookups
        return self.as_dict().items()

    def keys(self):  # noqa: ANN201
        return self.as_dict().keys()

    def values(self):  # noqa: ANN201
        return self.as_dict().values()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PairExclusions):
            other = other.as_dict()
        return self.as_dict() == other

    __hash__ = None  # type: ignore[assignment]  # mutable-looking mapping, as a dict is


def pair_exclusions(
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    conflicts: Sequence[Conflict],
    history: Sequence[Inspection],
    rules: Rules,
    first_day: date,
    last_day: date,
) -> PairExclusions:
    """``(uscc, inspector_id) -> first blocking reason`` (order: ``REASONS``); absent = eligible.

    A read-only mapping that behaves as the dict of every blocked pair (see ``PairExclusions``).
    """
    firms = sorted(firms, key=lambda f: f.uscc)
    inspectors = sorted(inspectors, key=lambda i: i.inspector_id)
    departments = set(rules.departments)
    ids = {i.inspector_id for i in inspectors}
    usccs = {f.uscc for f in firms}
    # Reasons that hold for every firm come first in the order.
    whole: dict[str, str] = {}
    for i in inspectors:
        if not i.active:
            whole[i.inspector_id] = "inactive"
        elif i.cert_valid_until < last_day:
            whole[i.inspector_id] = "certificate_expired"
        elif i.department not in departments:
            whole[i.inspector_id] = "department"
    pairs: dict[tuple[str, str], str] = {}
    for c in sorted(conflicts, key=lambda c: (c.uscc, c.inspector_id)):
        if c.uscc in usccs and c.inspector_id in ids:
            pairs.setdefault((c.uscc, c.inspector_id), "conflict")
    for h in sorted(history, key=lambda h: (h.uscc, h.date, h.inspector_ids)):
        if h.uscc not in usccs or not within_days_before(first_day, h.date, rules.rotation_days):
            continue
        for iid in h.inspector_ids:
            if iid in ids:
                pairs.setdefault((h.uscc, iid), "rotation")
    bound = {i.inspector_id for i in inspectors if rules.district_bound(i.department, i.unit)}
    out = PairExclusions(firms, inspectors, whole, rules.cross_district, {}, bound)
    # Keep only the explicit pairs that no earlier reason already blocks.
    out.pairs = {k: r for k, r in pairs.items() if out.get(k) is None}
    return out


def eligible_pairs(
    firms: Iterable[Firm], inspectors: Iterable[InspectorRec], exclusions
) -> list[tuple[str, str]]:
    """Sorted (uscc, inspector_id) pairs not excluded (for reports and tests)."""
    ids = sorted(i.inspector_id for i in inspectors)
    return [
        (f.uscc, i) for f in sorted(firms, key=lambda f: f.uscc) for i in ids if (f.uscc, i) not in exclusions
    ]
