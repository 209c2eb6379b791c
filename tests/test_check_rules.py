"""check_assignment (assign-v1's independent re-check, also run by verify and the auditor's
kit): each broken rule gives exactly its own message, and a sound assignment gives none."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from inspect_sched.core.assign import check_assignment, pair_exclusions
from inspect_sched.core.assign.rules import Assignment, Rules
from inspect_sched.core.inputs import Firm, InspectorRec
from inspect_sched.core.tickets import assign_cost

SEED = "check-rules"
ECO, MARKET = "生态环境", "市场监管"
FIRMS = [
    Firm("F1", "甲", "荷塘区", "general", "blue", "low", "active", "", "", ()),
    Firm("F2", "乙", "荷塘区", "key", "blue", "low", "active", "", "", ("辐射",)),
    Firm("F3", "丙", "芦淞区", "general", "blue", "low", "active", "", "", ()),
]


def _insp(iid: str, dept: str, district: str = "石峰区", specialties: tuple[str, ...] = ()) -> InspectorRec:
    return InspectorRec(iid, "某", "", district, dept, dt.date(2030, 1, 1), True, specialties)


INSPECTORS = [_insp("E1", ECO), _insp("E2", ECO, specialties=("辐射",)), _insp("E9", ECO, "荷塘区"),
              _insp("M1", MARKET), _insp("M2", MARKET), _insp("M3", MARKET)]
RULES = Rules(team_size=2, max_per_inspector=3, cross_district=True, rotation_days=0,
              specialty_required={"辐射": "辐射"}, departments=(ECO, MARKET))
GOOD = {"F1": ("E1", "M1"), "F2": ("E2", "M2"), "F3": ("E1", "M3")}


def check(teams: dict[str, tuple[str, ...]], rules: Rules = RULES, objective_delta: int = 0) -> list[str]:
    ex = pair_exclusions(FIRMS, INSPECTORS, [], [], rules, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    drawn = {f.uscc for f in FIRMS}
    objective = sum(assign_cost(SEED, u, i) for u, t in teams.items() if u in drawn for i in set(t))
    return check_assignment(SEED, FIRMS, INSPECTORS, ex, rules,
                            Assignment(teams, objective + objective_delta, "test", "OPTIMAL"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, []),
        ({"F1": None}, ["assignment: no team for F1"]),
        ({"F1": None, "F2": None}, ["assignment: no team for F1, F2"]),
        ({"F7": ("E1", "M1")}, ["assignment: team for a firm that was not drawn: F7"]),
        ({"F7": ("E1", "M1"), "F8": ("E2", "M2")}, ["assignment: team for a firm that was not drawn: F7, F8"]),
        ({"F1": None, "F7": ("E1", "M1")},
         ["assignment: no team for F1", "assignment: team for a firm that was not drawn: F7"]),
        ({"F1": ("M1", "E1")}, ["F1: team ['M1', 'E1'] is not sorted by inspector id"]),
        ({"F1": ("E1", "E1", "M1")}, ["F1: team ['E1', 'E1', 'M1'] names an inspector twice"]),
        ({"F1": ("E1", "M1", "M2")}, ["F1: team has 3 inspectors, rules ask for 2"]),
        ({"F1": ("E1", "X9")}, ["F1: inspector X9 is not in the inspector list",
                                "F1: no team member from department 市场监管"]),
        ({"F1": ("A0", "M1")}, ["F1: inspector A0 is not in the inspector list",  # the rest of the team still counts
                                "F1: no team member from department 生态环境"]),
        ({"F1": ("E9", "M1")}, ["F1: inspector E9 is not eligible (same_district)"]),
        ({"F1": ("M1", "M2")}, ["F1: no team member from department 生态环境"]),
        ({"F2": ("E1", "M2")}, ["F2: tag 辐射 needs specialty 辐射, no team member has it"]),
    ],
)
def test_each_broken_rule_has_its_own_message(change: dict, expected: list[str]) -> None:
    teams = {u: t for u, t in {**GOOD, **change}.items() if t is not None}
    assert check(teams) == expected


def test_load_cap_is_checked_per_inspector() -> None:
    teams = {"F1": ("E1", "M1"), "F2": ("E2", "M1"), "F3": ("E1", "M1")}
    assert check(teams) == []  # M1 serves three firms: exactly the cap of 3 is allowed
    tighter = dataclasses.replace(RULES, max_per_inspector=2)
    # E1 serves two firms (at the cap, fine), M1 three.
    assert check(teams, tighter) == ["inspector M1 serves 3 firms, max_per_inspector is 2"]


@pytest.mark.parametrize("delta", [1, -1])
def test_objective_must_equal_the_sum_of_costs(delta: int) -> None:
    total = sum(assign_cost(SEED, u, i) for u, t in GOOD.items() for i in t)
    assert check(GOOD, objective_delta=delta) == [
        f"objective is {total + delta}, the costs of the assigned pairs sum to {total}"]
