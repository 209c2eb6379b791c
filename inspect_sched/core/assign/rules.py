"""The assign-v1 rules of a task and the shape of an assignment (standard library only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from inspect_sched.schema.vocab import DEFAULT_DEPARTMENT

if TYPE_CHECKING:
    from inspect_sched.core.assign.certify import Certificate

# Order matters: a pair blocked for several reasons is reported with the first.
REASONS = ("inactive", "certificate_expired", "department", "same_district", "conflict", "rotation")


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
    # The LP-dual proof of optimality (None for teams read back from a draw-v1 bundle).
    certificate: Certificate | None = None


# --------------------------------------------------------------------------- eligibility
