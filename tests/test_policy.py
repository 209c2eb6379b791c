"""Policy files (SPEC §3): exact numbers, clear errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from inspect_sched.errors import PolicyError
from inspect_sched.schema.policy import DEFAULT_POLICY_TOML, decimal_string, load_policy, policy_from_dict


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "policy.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_policy_values_are_exact() -> None:
    p = load_policy()
    assert p.team_size == 2 and p.max_per_inspector == 6 and p.cross_district
    assert p.strata["key"].ratio == Fraction(1, 4)
    assert p.strata["general"].ratio == Fraction(1, 20)
    assert p.strata["special"].full_coverage
    assert p.weight("green", "medium") == Fraction(3, 4)
    assert p.annual_cap == {"green": 1, "blue": 2}
    assert p.specialty_required == {"辐射": "辐射"}


def test_policy_file_round_trips_through_manifest_form(tmp_path: Path) -> None:
    text = DEFAULT_POLICY_TOML.replace('ratio = "0.05"', "count = 7").replace('red = "3"', 'red = "3.25"')
    p = load_policy(write(tmp_path, text))
    assert p.strata["general"].count == 7
    assert p.credit_weight["red"] == Fraction(13, 4)
    assert policy_from_dict(p.as_dict()) == p


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("team_size = 2", "team_size = 2\ncolour = 1"), "unknown key"),
        (('green = "0.5"\nblue', 'green = "0"\nblue'), "positive"),
        (('green = "0.5"\nblue', 'green = "-1"\nblue'), "positive"),
        (('green = "0.5"\nblue', 'green = "half"\nblue'), "decimal"),
        (('ratio = "0.25"', 'ratio = "1.5"'), "between 0 and 1"),
        (('ratio = "0.25"', 'ratio = "0.25"\ncount = 3'), "exactly one"),
        (("[strata.special]\nfull_coverage = true", ""), "missing special"),
        (('low = "1"', ""), "missing low"),
        (("team_size = 2", "team_size = 1"), "team_size"),
        (("max_per_inspector = 6", 'max_per_inspector = "six"'), "whole number"),
        (("cross_district = true", 'cross_district = "yes"'), "true or false"),
    ],
)
def test_bad_policies_name_the_problem(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in DEFAULT_POLICY_TOML
    with pytest.raises(PolicyError, match=message):
        load_policy(write(tmp_path, DEFAULT_POLICY_TOML.replace(old, new, 1)))


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(write(tmp_path, "team_size = = 2"))
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.toml")


@pytest.mark.parametrize(("value", "text"), [(Fraction(3, 4), "0.75"), (Fraction(8), "8"), (Fraction(100), "100"),
                                             (Fraction(1, 8), "0.125")])
def test_decimal_string(value: Fraction, text: str) -> None:
    assert decimal_string(value) == text


def test_later_keys_stay_out_of_the_resolved_policy_at_their_defaults(tmp_path: Path) -> None:
    """The plan commitment hashes the resolved policy: old policies must keep their bytes."""
    from inspect_sched.schema.policy import _TOP_KEYS

    base = load_policy().as_dict()
    assert not {"authority", "cap_counts", "minimum", "staff_ratio"} & set(base)
    same = load_policy(write(tmp_path, 'cap_counts = ["random"]\n' + DEFAULT_POLICY_TOML))
    assert same.as_dict() == base
    assert {"authority", "cap_counts", "minimum", "staff_ratio"} <= _TOP_KEYS


def test_later_keys_parse_exactly_and_round_trip(tmp_path: Path) -> None:
    p = load_policy(write(tmp_path, 'cap_counts = ["special", "random"]\n[authority]\n"生态环境" = "株洲市生态环境局"\n'
                                    '"市场监管" = "株洲市市场监督管理局"\n[minimum]\nkey = "0.25"\nspecial = "1"\n'
                                    '[staff_ratio]\ngeneral = "2.5"\n'))
    assert p.cap_counts == ("random", "special")
    assert p.minimum == {"key": Fraction(1, 4), "special": Fraction(1)}
    assert p.staff_ratio == {"general": Fraction(5, 2)}
    assert p.authority_for(("市场监管", "生态环境")) == ["株洲市市场监督管理局", "株洲市生态环境局"]
    d = p.as_dict()
    assert d["cap_counts"] == ["random", "special"] and d["minimum"] == {"key": "0.25", "special": "1"}
    assert policy_from_dict(d) == p
    assert load_policy(write(tmp_path, 'authority = "株洲市生态环境局"\n')).authority_for(["生态环境"]) == [
        "株洲市生态环境局"]


@pytest.mark.parametrize(("text", "message"), [
    ('cap_counts = ["random", "complaint"]', "never count"),
    ('cap_counts = ["routine"]', "routine"),
    ("cap_counts = []", "non-empty list"),
    ('[minimum]\nkey = "1.5"', "between 0"),
    ('[minimum]\nvip = "0.5"', "unknown key"),
    ('[staff_ratio]\ngeneral = "0"', "positive"),
    ("authority = 3", "authority"),
])
def test_bad_later_keys_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policy(write(tmp_path, text + "\n"))
