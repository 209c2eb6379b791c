"""From frozen inputs, a draw spec and a seed to the frame, π and the sample (draw-v1).

Standard library only: the auditor's kit runs it. ``draw`` calls ``derive_sample`` (through
``core.solve.derive``, which adds the teams) and ``verify`` calls it again on a bundle's own
files; that the two agree is the audit of the sample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from fractions import Fraction

from inspect_sched.core.assign.eligibility import pair_exclusions
from inspect_sched.core.assign.rules import Assignment, Rules
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
class Sampled:
    spec: DrawSpec
    seed: str
    inputs: Inputs
    rows: list[FrameRow]  # frame.csv order: stratum, then (order ticket, uscc)
    strata: dict[str, StratumSummary]
    exclusions: MutableMapping[tuple[str, str], str]  # (uscc, inspector_id) of the drawn firms -> reason

    @property
    def sample(self) -> list[FrameRow]:
        return [r for r in self.rows if r.selected]

    @property
    def rules(self) -> Rules:
        """assign-v1's rules, with each selected firm's stratum team size where the policy sets one."""
        return task_rules(self.spec, self.rows)

    def with_assignment(self, assignment: Assignment) -> Derivation:
        return Derivation(self.spec, self.seed, self.inputs, self.rows, self.strata, self.exclusions,
                          assignment)


@dataclass(frozen=True)
class Derivation(Sampled):
    assignment: Assignment


def task_rules(spec: DrawSpec, rows: list[FrameRow]) -> Rules:
    """assign-v1's rules for this draw, with each selected firm's stratum team size if set."""
    rules = Rules.from_policy(spec.policy, spec.departments)
    sizes: dict[str, int] = {}
    for r in rows:
        size = spec.policy.strata[r.framed.stratum].team_size
        if r.selected and size is not None:
            sizes[r.framed.firm.uscc] = size
    return replace(rules, team_size_of=sizes) if sizes else rules


def derive_sample(inputs: Inputs, spec: DrawSpec, seed: str) -> Sampled:
    """Frame, π and the systematic sample of every stratum (draw-v1), and the pair exclusions."""
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
    rules = task_rules(spec, rows)
    exclusions = pair_exclusions(
        selected, inputs.inspectors, inputs.conflicts, inputs.history, rules,
        spec.period.first_day, spec.period.last_day,
    )
    return Sampled(spec, seed, inputs, rows, summarize(planned), exclusions)
