"""The assign-v1 rules of a task and the shape of an assignment (standard library only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from inspect_sched.schema.vocab import DEFAULT_DEPARTMENT

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
    # Departments or units whose (city-level) staff the cross-district rule does not bind.
    cross_district_exempt: tuple[str, ...] = ()
    # uscc -> team size, for firms of a stratum with its own team_size (SPEC §3, issue 13).
    team_size_of: dict[str, int] = field(default_factory=dict)

    def district_bound(self, department: str, unit: str) -> bool:
        """Whether the cross-district rule applies to an inspector of this department and unit."""
        return self.cross_district and not (
            department in self.cross_district_exempt or unit in self.cross_district_exempt
        )

    @classmethod
    def from_policy(cls, policy, departments: Sequence[str] = ()) -> Rules:
        return cls(
            team_size=policy.team_size,
            max_per_inspector=policy.max_per_inspector,
            cross_district=policy.cross_district,
            rotation_days=policy.rotation_days,
            specialty_required=dict(sorted(policy.specialty_required.items())),
            departments=tuple(sorted(set(departments))) or (DEFAULT_DEPARTMENT,),
            cross_district_exempt=tuple(getattr(policy, "cross_district_exempt", ())),
        )

    @property
    def k(self) -> int:
        """Team size actually used: at least one member per department."""
        return max(self.team_size, len(set(self.departments)))

    def k_for(self, uscc: str) -> int:
        """Team size of one firm: its stratum's, else the policy's; at least one per department."""
        return max(self.team_size_of.get(uscc, self.team_size), len(set(self.departments)))


@dataclass(frozen=True)
class Assignment:
    teams: dict[str, tuple[str, ...]]  # uscc -> sorted inspector ids
    objective: int
    solver: str
    status: str


# --------------------------------------------------------------------------- eligibility
