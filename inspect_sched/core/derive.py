"""From frozen inputs, a draw spec and a seed to the sample and the teams: one pure function.

``draw`` calls it to make a draw and ``verify`` calls it again on a bundle's own files;
that the two agree is the whole audit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from inspect_sched.core.assign import Assignment, Rules, assign, pair_exclusions
from inspect_sched.core.frame import EXCLUSION_REASONS, DrawSpec, FramedFirm, classify, strata_of
from inspect_sched.core.inputs import Inputs
from inspect_sched.core.sampling import draw_stratum, inclusion_probabilities, sample_size, ticket


@dataclass(frozen=True)
class FrameRow:
    framed: FramedFirm
    pi: Fraction | None  # None: excluded from the frame
    order_ticket: int
    selected: bool


@dataclass(frozen=True)
class StratumSummary:
    eligible: int
    excluded: dict[str, int]
    sample_size: int

    def as_dict(self) -> dict[str, object]:
        return {
            "eligible": self.eligible,
            "excluded": sum(self.excluded.values()),
            "excluded_by_reason": {r: self.excluded[r] for r in EXCLUSION_REASONS if self.excluded.get(r)},
            "sample_size": self.sample_size,
        }


@dataclass(frozen=True)
class PlannedStratum:
    """Seed-independent: who is eligible, with which probability (the plan commits to it)."""

    eligible: list[tuple[FramedFirm, Fraction]]
    excluded: list[FramedFirm]
    n: int


def plan_strata(inputs: Inputs, spec: DrawSpec) -> dict[str, PlannedStratum]:
    out = {}
    for stratum, members in strata_of(classify(inputs, spec)).items():
        eligible = [m for m in members if not m.excluded_reason]
        n = sample_size(spec.policy.strata[stratum], len(eligible))
        pis = inclusion_probabilities([m.weight for m in eligible], n)
        out[stratum] = PlannedStratum(
            list(zip(eligible, pis, strict=True)), [m for m in members if m.excluded_reason], n
        )
    return out


def summarize(planned: dict[str, PlannedStratum]) -> dict[str, StratumSummary]:
    return {
        s: StratumSummary(len(p.eligible), dict(Counter(m.excluded_reason for m in p.excluded)), p.n)
        for s, p in planned.items()
    }


@dataclass(frozen=True)
class Derivation:
    spec: DrawSpec
    seed: str
    inputs: Inputs
    rows: list[FrameRow]  # frame.csv order: stratum, then (order ticket, uscc)
    strata: dict[str, StratumSummary]
    exclusions: dict[tuple[str, str], str]
    assignment: Assignment
    # The canonical inputs/*.csv bytes when the caller already has them (a stored plan, a
    # bundle): the bundle reuses them instead of serialising 100k records again.
    input_files: dict[str, bytes] | None = None

    @property
    def sample(self) -> list[FrameRow]:
        return [r for r in self.rows if r.selected]


def derive(
    inputs: Inputs, spec: DrawSpec, seed: str, input_files: dict[str, bytes] | None = None,
) -> Derivation:
    """Sample every stratum (draw-v1) and assign teams (assign-v1). Raises AssignmentInfeasible."""
    planned = plan_strata(inputs, spec)
    rows: list[FrameRow] = []
    for stratum, plan in planned.items():
        by_uscc = {m.firm.uscc: m for m, _ in plan.eligible}
        drawn = draw_stratum(seed, stratum, [(m.firm.uscc, m.weight) for m, _ in plan.eligible], plan.n)
        merged = [FrameRow(by_uscc[d.uscc], d.pi, d.order_ticket, d.selected) for d in drawn]
        purpose = "order/" + stratum
        merged += [FrameRow(m, None, ticket(seed, purpose, m.firm.uscc), False) for m in plan.excluded]
        merged.sort(key=lambda r: (r.order_ticket, r.framed.firm.uscc))
        rows += merged
    selected = [r.framed.firm for r in rows if r.selected]
    rules = Rules.from_policy(spec.policy, spec.departments)
    exclusions = pair_exclusions(
        selected, inputs.inspectors, inputs.conflicts, inputs.history, rules,
        spec.period.first_day, spec.period.last_day,
    )
    assignment = assign(seed, selected, inputs.inspectors, exclusions, rules)
    return Derivation(spec, seed, inputs, rows, summarize(planned), exclusions, assignment, input_files)
