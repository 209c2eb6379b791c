"""The sampling frame (SPEC §4): filters, exclusions with reasons, strata and weights.

Everything here is pure: it reads an ``Inputs`` and a ``DrawSpec``, never the database,
so that ``verify`` can rebuild the frame from a bundle alone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from inspect_sched.core.inputs import Firm, Inputs, Inspection
from inspect_sched.errors import DrawError
from inspect_sched.schema.periods import Period
from inspect_sched.schema.policy import Policy
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


@dataclass(frozen=True)
class DrawSpec:
    """What a draw is asked to do, apart from the seed: fixed when the plan is made."""

    period: Period
    task: str
    policy: Policy
    filters: dict[str, tuple[str, ...]]
    departments: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.label,
            "task": self.task,
            "policy": self.policy.as_dict(),
            "filters": {k: list(v) for k, v in sorted(self.filters.items())},
            "departments": list(self.departments),
        }


def parse_filters(items: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``["district=荷塘区,芦淞区", "tag=涉危废"]`` -> canonical ``{field: sorted values}``."""
    out: dict[str, set[str]] = {}
    for item in items:
        field, sep, values = item.partition("=")
        field = field.strip().lower()
        if not sep or not values.strip():
            raise DrawError(f"--filter {item!r}: write FIELD=VALUE[,VALUE...], e.g. --filter district=荷塘区")
        if field not in FILTER_FIELDS:
            raise DrawError(
                f"--filter {item!r}: unknown field {field!r}; use one of {', '.join(FILTER_FIELDS)}"
            )
        vocab = FILTER_FIELDS[field]
        for raw in values.replace("，", ",").split(","):
            v = raw.strip()
            if not v:
                continue
            if vocab is not None:
                key = v.lower() if v.isascii() else v
                if key not in vocab:
                    raise DrawError(
                        f"--filter {item!r}: {v!r} is not a {field}; use one of {', '.join(sorted(set(vocab.values())))}"
                    )
                v = vocab[key]
            out.setdefault(field, set()).add(v)
    return {k: tuple(sorted(v)) for k, v in sorted(out.items())}


def parse_departments(text: str | None) -> tuple[str, ...]:
    if not text:
        return (DEFAULT_DEPARTMENT,)
    deps = sorted({d.strip() for d in text.replace("，", ",").split(",") if d.strip()})
    if not deps:
        raise DrawError("--departments is empty; give e.g. --departments 生态环境,市场监管")
    return tuple(deps)


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


def _within(first_day: dt.date, date: dt.date, days: int) -> bool:
    """SPEC: "within N days before" means 0 <= (first day - date) <= N days."""
    return 0 <= (first_day - date).days <= days


def classify(inputs: Inputs, spec: DrawSpec) -> list[FramedFirm]:
    """Every firm that passes the filters, with its stratum, weight and exclusion reason."""
    policy, first = spec.policy, spec.period.first_day
    listed = {p.uscc for p in inputs.positive_list if p.start <= first <= p.end}
    random_by_firm: dict[str, list[Inspection]] = defaultdict(list)
    for h in inputs.history:
        if h.kind == "random":
            random_by_firm[h.uscc].append(h)
    framed = []
    weights: dict[tuple[str, str], Fraction] = {}  # one Fraction product per grade pair, not per firm
    for firm in sorted(inputs.firms, key=lambda f: f.uscc):
        if not passes_filters(firm, spec.filters):
            continue
        past = random_by_firm.get(firm.uscc, [])
        cap = policy.annual_cap.get(firm.credit)
        if firm.uscc in listed:
            reason = "positive_list"
        elif firm.status != "active":
            reason = "inactive"
        elif cap is not None and sum(1 for h in past if h.date.year == spec.period.year) >= cap:
            reason = "annual_cap"
        elif any(_within(first, h.date, policy.exclude_recent_days) for h in past):
            reason = "recently_inspected"
        else:
            reason = ""
        grade = (firm.credit, firm.risk)
        weight = weights.get(grade)
        if weight is None:
            weight = weights[grade] = policy.weight(*grade)
        framed.append(FramedFirm(firm, firm.category, weight, reason))
    return framed


def strata_of(framed: Sequence[FramedFirm]) -> dict[str, list[FramedFirm]]:
    """Group by stratum, strata in sorted order (the order of frame.csv)."""
    groups: dict[str, list[FramedFirm]] = defaultdict(list)
    for f in framed:
        groups[f.stratum].append(f)
    return {k: groups[k] for k in sorted(groups)}
