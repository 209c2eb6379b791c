"""Sampling and assignment policy (SPEC §3): TOML in, exact numbers out.

Weights and ratios are decimal strings read exactly into ``Fraction``; a TOML number is
accepted too and read by its shortest decimal spelling, which is what the user typed.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from inspect_sched.errors import PolicyError
from inspect_sched.schema.vocab import CATEGORIES, CREDITS, RISKS

DEFAULT_POLICY_TOML = """\
name = "默认方案"
task = "日常双随机抽查"
items = ["污染物排放情况", "污染防治设施运行情况", "排污许可证执行情况"]
team_size = 2
max_per_inspector = 6
cross_district = true
rotation_days = 365
exclude_recent_days = 90

[strata.key]
ratio = "0.25"
[strata.general]
ratio = "0.05"
[strata.special]
full_coverage = true

[credit_weight]
green = "0.5"
blue = "1"
yellow = "2"
red = "3"
black = "4"

[risk_weight]
low = "1"
medium = "1.5"
high = "2"

[annual_cap]
green = 1
blue = 2

[specialty_required]
"辐射" = "辐射"
"""

_TOP_KEYS = {
    "name", "task", "items", "team_size", "max_per_inspector", "cross_district",
    "rotation_days", "exclude_recent_days", "strata", "credit_weight", "risk_weight",
    "annual_cap", "specialty_required",
    # Later keys (SPEC §3, §8): each is left out of the resolved policy while it has its
    # default, so the plan commitments of older policies keep their bytes.
    "authority", "cap_counts", "minimum", "staff_ratio",
}

# History kinds that may count against annual_cap. Complaint-driven checks never count
# (国办发〔2024〕54号; 浙环发〔2025〕13号).
CAP_COUNTABLE_KINDS = ("random", "special")
DEFAULT_CAP_COUNTS = ("random",)


@dataclass(frozen=True)
class StratumRule:
    """How many firms a stratum draws: exactly one of ratio, count, full_coverage."""

    ratio: Fraction | None = None
    count: int | None = None
    full_coverage: bool = False

    def as_dict(self) -> dict[str, Any]:
        if self.full_coverage:
            return {"full_coverage": True}
        if self.count is not None:
            return {"count": self.count}
        return {"ratio": decimal_string(self.ratio)}


@dataclass(frozen=True)
class Policy:
    name: str
    task: str
    items: tuple[str, ...]
    team_size: int
    max_per_inspector: int
    cross_district: bool
    rotation_days: int
    exclude_recent_days: int
    strata: dict[str, StratumRule]
    credit_weight: dict[str, Fraction]
    risk_weight: dict[str, Fraction]
    annual_cap: dict[str, int] = field(default_factory=dict)
    specialty_required: dict[str, str] = field(default_factory=dict)
    # Later keys, defaults = draw-v1's meaning (see _TOP_KEYS).
    authority: str | dict[str, str] | None = None  # 检查实施机关; per department for joint tasks
    cap_counts: tuple[str, ...] = DEFAULT_CAP_COUNTS
    minimum: dict[str, Fraction] = field(default_factory=dict)  # required share per stratum and quarter
    staff_ratio: dict[str, Fraction] = field(default_factory=dict)  # firms per inspector per year

    def weight(self, credit: str, risk: str) -> Fraction:
        return self.credit_weight[credit] * self.risk_weight[risk]

    def as_dict(self) -> dict[str, Any]:
        """The resolved policy, canonical: what the manifest and the commitment hash hold."""
        return {
            "name": self.name,
            "task": self.task,
            "items": list(self.items),
            "team_size": self.team_size,
            "max_per_inspector": self.max_per_inspector,
            "cross_district": self.cross_district,
            "rotation_days": self.rotation_days,
            "exclude_recent_days": self.exclude_recent_days,
            "strata": {k: self.strata[k].as_dict() for k in CATEGORIES},
            "credit_weight": {k: decimal_string(self.credit_weight[k]) for k in CREDITS},
            "risk_weight": {k: decimal_string(self.risk_weight[k]) for k in RISKS},
            "annual_cap": {k: self.annual_cap[k] for k in CREDITS if k in self.annual_cap},
            "specialty_required": dict(sorted(self.specialty_required.items())),
            **self._later_keys(),
        }

    def _later_keys(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.authority is not None:
            out["authority"] = self.authority if isinstance(self.authority, str) else dict(sorted(self.authority.items()))
        if self.cap_counts != DEFAULT_CAP_COUNTS:
            out["cap_counts"] = list(self.cap_counts)
        if self.minimum:
            out["minimum"] = {k: decimal_string(v) for k, v in sorted(self.minimum.items())}
        if self.staff_ratio:
            out["staff_ratio"] = {k: decimal_string(v) for k, v in sorted(self.staff_ratio.items())}
        return out

    def authority_for(self, departments: tuple[str, ...] | list[str]) -> list[str]:
        """The body (检查实施机关) of each department of a task, in order; empty when not set."""
        if self.authority is None:
            return []
        if isinstance(self.authority, str):
            return [self.authority]
        return [self.authority[d] for d in departments if d in self.authority]

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)


def decimal_string(value: Fraction | None) -> str:
    """An exact decimal spelling of a terminating fraction: 3/4 -> "0.75", 8 -> "8"."""
    if value is None:
        raise ValueError("no value")
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        raise ValueError(f"{value} has no finite decimal form")
    places = max(twos, fives)
    # 10**places is a multiple of the denominator, so this is exact; and places is minimal,
    # so the digits never end in a superfluous zero.
    scaled = value.numerator * (10**places // value.denominator)
    if places == 0:
        return str(scaled)
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return f"{'-' if scaled < 0 else ''}{digits[:-places]}.{digits[-places:]}"


def _exact(value: Any, where: str) -> Fraction:
    if isinstance(value, bool):
        raise PolicyError(f"policy {where}: {value!r} is not a number; write a decimal string like \"1.5\"")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        raise PolicyError(f"policy {where}: {value!r} is not a number; write a decimal string like \"1.5\"")
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        raise PolicyError(
            f"policy {where}: {value!r} is not a decimal number; write e.g. \"0.25\""
        ) from None
    if not d.is_finite():
        raise PolicyError(f"policy {where}: {value!r} is not a finite number")
    return Fraction(d)


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"policy {where}: {value!r} must be a whole number ≥ {minimum}")
    if value < minimum:
        raise PolicyError(f"policy {where}: {value} must be ≥ {minimum}")
    return value


def _check_keys(table: dict[str, Any], allowed: set[str] | tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise PolicyError(
            f"policy {where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _weights(raw: Any, grades: tuple[str, ...], where: str) -> dict[str, Fraction]:
    if not isinstance(raw, dict):
        raise PolicyError(f"policy [{where}] must be a table with {', '.join(grades)}")
    _check_keys(raw, grades, f"[{where}]")
    missing = [g for g in grades if g not in raw]
    if missing:
        raise PolicyError(f"policy [{where}]: missing {', '.join(missing)}; give a weight for every grade")
    out = {}
    for g in grades:
        w = _exact(raw[g], f"{where}.{g}")
        if w <= 0:
            raise PolicyError(f"policy {where}.{g} = {raw[g]!r}: weights must be positive")
        out[g] = w
    return out


def _stratum(raw: Any, name: str) -> StratumRule:
    where = f"[strata.{name}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"policy {where} must be a table with ratio, count or full_coverage")
    _check_keys(raw, {"ratio", "count", "full_coverage"}, where)
    given = [k for k in ("ratio", "count", "full_coverage") if k in raw]
    if len(given) != 1:
        raise PolicyError(f"policy {where}: give exactly one of ratio, count or full_coverage")
    if "ratio" in raw:
        r = _exact(raw["ratio"], f"strata.{name}.ratio")
        if not 0 <= r <= 1:
            raise PolicyError(f"policy strata.{name}.ratio = {raw['ratio']!r} must be between 0 and 1")
        return StratumRule(ratio=r)
    if "count" in raw:
        return StratumRule(count=_int(raw["count"], f"strata.{name}.count", 0))
    if raw["full_coverage"] is not True:
        raise PolicyError(f"policy {where}: full_coverage must be true (or use ratio/count)")
    return StratumRule(full_coverage=True)


def parse_policy(data: dict[str, Any], source: str = "policy") -> Policy:
    """Build a Policy from parsed TOML; missing scalar settings take the built-in defaults."""
    try:
        return _parse(data)
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from None


def _parse(data: dict[str, Any]) -> Policy:
    _check_keys(data, _TOP_KEYS, "top level")
    base = tomllib.loads(DEFAULT_POLICY_TOML)
    merged = {**base, **data}
    strata_raw = data.get("strata", base["strata"])
    if not isinstance(strata_raw, dict):
        raise PolicyError("policy [strata] must be a table of key, general, special")
    _check_keys(strata_raw, CATEGORIES, "[strata]")
    missing = [c for c in CATEGORIES if c not in strata_raw]
    if missing:
        raise PolicyError(f"policy [strata]: missing {', '.join(missing)}; define every stratum")
    items = merged["items"]
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise PolicyError("policy items must be a list of non-empty strings (抽查事项)")
    for key in ("name", "task"):
        if not isinstance(merged[key], str) or not merged[key].strip():
            raise PolicyError(f"policy {key} must be a non-empty string")
    if not isinstance(merged["cross_district"], bool):
        raise PolicyError("policy cross_district must be true or false")
    caps_raw = merged["annual_cap"]
    if not isinstance(caps_raw, dict):
        raise PolicyError("policy [annual_cap] must be a table of credit grade = whole number")
    _check_keys(caps_raw, CREDITS, "[annual_cap]")
    spec_raw = merged["specialty_required"]
    if not isinstance(spec_raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in spec_raw.items()
    ):
        raise PolicyError("policy [specialty_required] must map a firm tag to a specialty string")
    return Policy(
        name=merged["name"].strip(),
        task=merged["task"].strip(),
        items=tuple(i.strip() for i in items),
        team_size=_int(merged["team_size"], "team_size", 2),
        max_per_inspector=_int(merged["max_per_inspector"], "max_per_inspector", 1),
        cross_district=merged["cross_district"],
        rotation_days=_int(merged["rotation_days"], "rotation_days", 0),
        exclude_recent_days=_int(merged["exclude_recent_days"], "exclude_recent_days", 0),
        strata={c: _stratum(strata_raw[c], c) for c in CATEGORIES},
        credit_weight=_weights(merged["credit_weight"], CREDITS, "credit_weight"),
        risk_weight=_weights(merged["risk_weight"], RISKS, "risk_weight"),
        annual_cap={g: _int(v, f"annual_cap.{g}", 0) for g, v in caps_raw.items()},
        specialty_required={k.strip(): v.strip() for k, v in spec_raw.items()},
        authority=_authority(data.get("authority")),
        cap_counts=_cap_counts(data.get("cap_counts", list(DEFAULT_CAP_COUNTS))),
        minimum=_ratios(data.get("minimum", {}), "minimum", at_most_one=True),
        staff_ratio=_ratios(data.get("staff_ratio", {}), "staff_ratio", at_most_one=False),
    )


def _authority(raw: Any) -> str | dict[str, str] | None:
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    if isinstance(raw, dict) and raw and all(
        isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip() for k, v in raw.items()
    ):
        return {k.strip(): v.strip() for k, v in raw.items()}
    raise PolicyError('policy authority must be the body\'s name, e.g. authority = "株洲市生态环境局", '
                      'or a table department = body for joint tasks ([authority] 生态环境 = "…", 市场监管 = "…")')


def _cap_counts(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str) for k in raw):
        raise PolicyError('policy cap_counts must be a non-empty list of inspection kinds, e.g. ["random", "special"]')
    kinds = {k.strip() for k in raw}
    if "complaint" in kinds:
        raise PolicyError("policy cap_counts: complaint-driven checks never count against the annual cap "
                          "(国办发〔2024〕54号); use random and/or special")
    _check_keys(dict.fromkeys(kinds), CAP_COUNTABLE_KINDS, "cap_counts")
    return tuple(k for k in CAP_COUNTABLE_KINDS if k in kinds)


def _ratios(raw: Any, name: str, at_most_one: bool) -> dict[str, Fraction]:
    """``[minimum]`` (share per quarter, 0–1) or ``[staff_ratio]`` (firms per inspector a year, > 0)."""
    if not isinstance(raw, dict):
        raise PolicyError(f"policy [{name}] must be a table of stratum = decimal string, e.g. key = \"0.25\"")
    _check_keys(raw, CATEGORIES, f"[{name}]")
    out = {}
    for k, v in raw.items():
        x = _exact(v, f"{name}.{k}")
        if x <= 0 or (at_most_one and x > 1):
            bounds = "between 0 (exclusive) and 1" if at_most_one else "positive"
            raise PolicyError(f"policy {name}.{k} = {v!r} must be {bounds}")
        out[k] = x
    return out


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy in ``path`` (TOML), or the built-in default when ``path`` is None."""
    if path is None:
        return parse_policy(tomllib.loads(DEFAULT_POLICY_TOML), "built-in policy")
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{p}: cannot read the policy file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PolicyError(f"{p}: a policy file must be UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{p}: not valid TOML: {exc}") from None
    return parse_policy(data, str(p))


def policy_from_dict(data: dict[str, Any]) -> Policy:
    """Rebuild a policy from its canonical ``as_dict`` form (bundle manifests, plans)."""
    return parse_policy(data, "manifest policy")
