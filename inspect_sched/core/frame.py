"""The sampling frame (SPEC §4): filters, exclusions with reasons, strata and weights.

Everything here is pure: it reads an ``Inputs`` and a ``DrawSpec``, never the database,
so that ``verify`` can rebuild the frame from a bundle alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from inspect_sched.core.inputs import Firm, Inputs, Inspection
from inspect_sched.errors import DrawError
from inspect_sched.schema.entities import COLUMNS
from inspect_sched.schema.periods import Period, parse_period, within_days_before
from inspect_sched.schema.policy import OFFSITE, Policy, policy_from_dict
from inspect_sched.schema.vocab import CATEGORY, CREDIT, DEFAULT_DEPARTMENT, RISK

# Reasons in the order SPEC §4 checks them; the first that matches is recorded.
EXCLUSION_REASONS = ("positive_list", "inactive", "annual_cap", "recently_inspected")

# Filter fields a task may use (定向抽查): field -> how to read a value.
FILTER_FIELDS: dict[str, dict[str, str] | None] = {
    "district": None,
    "category": CATEGORY,
    "tag": None,
    "industry": None,
    "credit": CREDIT,
    "risk": RISK,
}

# The pool's own Chinese headers name the same fields (行政区划=荷塘区, 标签=涉危废).
FILTER_ALIASES: dict[str, str] = {
    alias: ("tag" if field == "tags" else field)
    for field, aliases in COLUMNS["enterprises"].items()
    if ("tag" if field == "tags" else field) in FILTER_FIELDS
    for alias in aliases
}


@dataclass(frozen=True)
class DrawSpec:
    """What a draw is asked to do, apart from the seed: fixed when the plan is made."""

    period: Period
    task: str
    policy: Policy
    filters: dict[str, tuple[str, ...]]
    departments: tuple[str, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DrawSpec:
        """The inverse of ``as_dict`` (a plan's stored columns, a bundle's manifest)."""
        return cls(
            period=parse_period(d["period"]), task=d["task"], policy=policy_from_dict(d["policy"]),
            filters={k: tuple(v) for k, v in d["filters"].items()}, departments=tuple(d["departments"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.label,
            "task": self.task,
            "policy": self.policy.as_dict(),
            "filters": {k: list(v) for k, v in sorted(self.filters.items())},
            "departments": list(self.departments),
        }


def normalize_filters(filters: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """``{"district": ["荷塘区"], "category": ["重点"]}`` -> canonical ``{field: sorted values}``.

    Enumerated fields accept any spelling of SPEC §2 (重点 -> key); an unknown field or value
    raises ``DrawError`` naming it and what is accepted. Fields without values are dropped.
    """
    out: dict[str, set[str]] = {}
    for field, values in filters.items():
        key_field = field.strip().lower()
        key_field = FILTER_ALIASES.get(key_field, key_field)
        if key_field not in FILTER_FIELDS:
            raise DrawError(f"unknown field {field!r}; use one of {', '.join(FILTER_FIELDS)} "
                            f"(or the pool's headers: {', '.join(FILTER_ALIASES)})")
        words = FILTER_FIELDS[key_field]
        for raw in values:
            v = raw.strip()
            if not v:
                continue
            if words is not None:
                key = v.lower() if v.isascii() else v
                if key not in words:
                    raise DrawError(f"{v!r} is not a {key_field}; use one of {', '.join(sorted(set(words.values())))}")
                v = words[key]
            out.setdefault(key_field, set()).add(v)
    return {k: tuple(sorted(v)) for k, v in sorted(out.items())}


def normalize_departments(departments: Iterable[str] = ()) -> tuple[str, ...]:
    """Sorted, distinct, stripped; none at all means the ecology-environment department alone."""
    return tuple(sorted({d.strip() for d in departments if d.strip()})) or (DEFAULT_DEPARTMENT,)


def passes_filters(firm: Firm, filters: dict[str, tuple[str, ...]]) -> bool:
    for field, values in filters.items():
        if field == "tag":
            if not set(firm.tags) & set(values):
                return False
        elif getattr(firm, field) not in values:
            return False
    return True


@dataclass(frozen=True)
class FramedFirm:
    firm: Firm
    stratum: str
    weight: Fraction
    excluded_reason: str  # "" when eligible


def classify(inputs: Inputs, spec: DrawSpec) -> list[FramedFirm]:
    """Every firm that passes the filters, with its stratum, weight and exclusion reason."""
    policy, first = spec.policy, spec.period.first_day
    listed = {p.uscc for p in inputs.positive_list if p.start <= first <= p.end}
    random_by_firm: dict[str, list[Inspection]] = defaultdict(list)
    # annual_cap counts the kinds the policy names (draw-v1: random only); the recency rule
    # (不重复抽查) is about random checks alone.
    capped_by_firm: dict[str, int] = defaultdict(int)
    for h in inputs.history:
        if h.kind == "random":
            random_by_firm[h.uscc].append(h)
        if h.kind in policy.cap_counts and h.date.year == spec.period.year:
            capped_by_firm[h.uscc] += 1
    offsite = policy.positive_list == OFFSITE
    framed = []
    weights: dict[tuple[str, str], Fraction] = {}  # one Fraction product per grade pair, not per firm
    for firm in sorted(inputs.firms, key=lambda f: f.uscc):
        if not passes_filters(firm, spec.filters):
            continue
        past = random_by_firm.get(firm.uscc, [])
        cap = policy.annual_cap.get(firm.credit)
        if firm.uscc in listed and not offsite:
            reason = "positive_list"
        elif firm.status != "active":
            reason = "inactive"
        elif cap is not None and capped_by_firm.get(firm.uscc, 0) >= cap:
            reason = "annual_cap"
        elif any(within_days_before(first, h.date, policy.exclude_recent_days) for h in past):
            reason = "recently_inspected"
        else:
            reason = ""
        # SPEC §3: under positive_list = "offsite" a listed firm's stratum is offsite whatever
        # its category (excluded ones too, so frame.csv shows where it would have been drawn).
        stratum = OFFSITE if offsite and firm.uscc in listed else firm.category
        grade = (firm.credit, firm.risk)
        weight = weights.get(grade)
        if weight is None:
            weight = weights[grade] = policy.weight(*grade)
        framed.append(FramedFirm(firm, stratum, weight, reason))
    return framed


def strata_of(framed: Sequence[FramedFirm]) -> dict[str, list[FramedFirm]]:
    """Group by stratum, strata in sorted order (the order of frame.csv)."""
    groups: dict[str, list[FramedFirm]] = defaultdict(list)
    for f in framed:
        groups[f.stratum].append(f)
    return {k: groups[k] for k in sorted(groups)}
