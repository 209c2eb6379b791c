"""The assign-v1 rules of a task and the shape of an assignment (standard library only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from inspect_sched.schema.vocab import DEFAULT_DEPARTMENT

CERTIFICATE_FORMAT = "inspect-sched/certificate-v1"

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
class Certificate:
    """Integer LP duals of the assignment and the bound they prove (see ``certify``)."""

    team: dict[str, int]  # uscc -> y_team (any sign)
    cover: dict[str, dict[str, int]]  # uscc -> need key -> y_cover (≥ 0)
    cap: dict[str, int]  # inspector_id -> y_cap (≤ 0)
    bound: int
    objective: int
    method: str  # how the duals were found (informative only; the check does not trust it)

    def to_json(self) -> bytes:
        body = {
            "format": CERTIFICATE_FORMAT,
            "method": self.method,
            "objective": self.objective,
            "bound": self.bound,
            "y_team": dict(sorted(self.team.items())),
            "y_cover": {u: dict(sorted(v.items())) for u, v in sorted(self.cover.items())},
            "y_cap": dict(sorted(self.cap.items())),
        }
        return (json.dumps(body, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Certificate:
        """Parse ``certificate.json``; ValueError with a plain message when it is malformed."""
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"not valid UTF-8 JSON ({exc})") from None
        if not isinstance(body, dict) or body.get("format") != CERTIFICATE_FORMAT:
            got = body.get("format") if isinstance(body, dict) else None
            raise ValueError(f"format is {got!r}, expected {CERTIFICATE_FORMAT!r}")

        def integer(v: object, where: str) -> int:
            if type(v) is not int:
                raise ValueError(f"{where} is {v!r}, not an integer")
            return v

        def table(name: str) -> dict:
            t = body.get(name)
            if not isinstance(t, dict):
                raise ValueError(f"{name} is missing or not an object")
            return t

        cover = {}
        for u, v in table("y_cover").items():
            if not isinstance(v, dict):
                raise ValueError(f"y_cover[{u}] is not an object")
            cover[u] = {g: integer(y, f"y_cover[{u}][{g}]") for g, y in v.items()}
        method = body.get("method", "")
        return cls(
            team={u: integer(y, f"y_team[{u}]") for u, y in table("y_team").items()},
            cover=cover,
            cap={i: integer(y, f"y_cap[{i}]") for i, y in table("y_cap").items()},
            bound=integer(body.get("bound"), "bound"),
            objective=integer(body.get("objective"), "objective"),
            method=method if isinstance(method, str) else "",
        )


@dataclass(frozen=True)
class Assignment:
    teams: dict[str, tuple[str, ...]]  # uscc -> sorted inspector ids
    objective: int
    solver: str
    status: str
    # The LP-dual proof of optimality (None for teams read back from a draw-v1 bundle).
    certificate: Certificate | None = None


# --------------------------------------------------------------------------- eligibility
