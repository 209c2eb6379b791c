"""The sampling frame of SPEC §4: filters, exclusion reasons in order, day boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from inspect_sched.cli.parsing import parse_departments, parse_filters
from inspect_sched.core.frame import DrawSpec, classify, normalize_departments, normalize_filters
from inspect_sched.core.inputs import Firm, Inputs, Inspection, PositiveEntry
from inspect_sched.errors import DrawError
from inspect_sched.schema.periods import parse_period
from inspect_sched.schema.policy import load_policy
from inspect_sched.schema.uscc import make

FIRST = dt.date(2026, 12, 1)


def firm(n: int, **kw: object) -> Firm:
    base = dict(uscc=make(f"914302{n:011d}"), name=f"企业{n}", district="荷塘区", category="general",
                credit="blue", risk="low", status="active", industry="化工", address="", tags=())
    base.update(kw)
    return Firm(**base)  # type: ignore[arg-type]


def spec(filters: dict[str, tuple[str, ...]] | None = None) -> DrawSpec:
    return DrawSpec(parse_period("2026-12"), "t", load_policy(), filters or {}, ("生态环境",))


def reasons(inputs: Inputs, s: DrawSpec | None = None) -> dict[str, str]:
    return {f.firm.uscc: f.excluded_reason for f in classify(inputs, s or spec())}


def random_on(f: Firm, day: dt.date) -> Inspection:
    return Inspection(f.uscc, day, "random", (), "import")


def test_exclusion_reasons_follow_spec_order() -> None:
    # One firm matches every reason: the first in SPEC order (positive_list) must win.
    all_of_them = firm(1, status="closed", credit="green")
    inactive_and_capped = firm(2, status="suspended", credit="green")
    capped_and_recent = firm(3, credit="green")
    recent = firm(4)
    clean = firm(5)
    inputs = Inputs(
        [all_of_them, inactive_and_capped, capped_and_recent, recent, clean], [],
        [PositiveEntry(all_of_them.uscc, dt.date(2025, 1, 1), dt.date(2028, 1, 1))], [],
        [random_on(f, dt.date(2026, 11, 1)) for f in (all_of_them, inactive_and_capped, capped_and_recent, recent)],
    )
    got = reasons(inputs)
    assert got[all_of_them.uscc] == "positive_list"
    assert got[inactive_and_capped.uscc] == "inactive"
    assert got[capped_and_recent.uscc] == "annual_cap"  # green cap is 1 a year
    assert got[recent.uscc] == "recently_inspected"
    assert got[clean.uscc] == ""


@pytest.mark.parametrize(
    ("days_before", "excluded"),
    [(0, True), (90, True), (91, False), (-1, False)],  # -1: a date after the first day is not "before"
)
def test_recently_inspected_window_boundaries(days_before: int, excluded: bool) -> None:
    f = firm(1, credit="red")  # no annual cap for red
    inputs = Inputs([f], [], [], [], [random_on(f, FIRST - dt.timedelta(days=days_before))])
    assert (reasons(inputs)[f.uscc] == "recently_inspected") is excluded


def test_only_random_inspections_count() -> None:
    f = firm(1, credit="green")
    complaint = Inspection(f.uscc, FIRST - dt.timedelta(days=3), "complaint", (), "import")
    special = Inspection(f.uscc, FIRST - dt.timedelta(days=3), "special", (), "import")
    assert reasons(Inputs([f], [], [], [], [complaint, special]))[f.uscc] == ""


@pytest.mark.parametrize(
    ("start", "end", "listed"),
    [
        (dt.date(2026, 12, 1), dt.date(2029, 12, 1), True),   # starts on the first day
        (dt.date(2023, 12, 1), dt.date(2026, 12, 1), True),   # ends on the first day
        (dt.date(2023, 1, 1), dt.date(2026, 11, 30), False),  # expired the day before
        (dt.date(2026, 12, 2), dt.date(2029, 12, 2), False),  # not yet listed
    ],
)
def test_positive_list_active_on_first_day(start: dt.date, end: dt.date, listed: bool) -> None:
    f = firm(1)
    inputs = Inputs([f], [], [PositiveEntry(f.uscc, start, end)], [], [])
    assert (reasons(inputs)[f.uscc] == "positive_list") is listed


def test_annual_cap_counts_the_calendar_year_only() -> None:
    f = firm(1, credit="blue")  # cap 2
    last_year = [random_on(f, dt.date(2025, 6, 1)), random_on(f, dt.date(2025, 7, 1))]
    this_year = [random_on(f, dt.date(2026, 3, 1))]
    assert reasons(Inputs([f], [], [], [], last_year + this_year))[f.uscc] == ""
    two = this_year + [random_on(f, dt.date(2026, 5, 1))]
    assert reasons(Inputs([f], [], [], [], two))[f.uscc] == "annual_cap"


def test_filters_select_the_frame_and_strata_follow_category() -> None:
    a = firm(1, district="荷塘区", category="key", tags=("涉危废",))
    b = firm(2, district="芦淞区", category="key")
    c = firm(3, district="荷塘区", category="general", tags=("辐射",))
    inputs = Inputs([a, b, c], [], [], [], [])
    s = spec(parse_filters(["district=荷塘区", "category=重点"]))
    framed = classify(inputs, s)
    assert [f.firm.uscc for f in framed] == [a.uscc]
    assert framed[0].stratum == "key"
    tagged = classify(inputs, spec(parse_filters(["tag=辐射,涉危废"])))
    assert {f.firm.uscc for f in tagged} == {a.uscc, c.uscc}


def test_weight_is_credit_times_risk() -> None:
    f = firm(1, credit="red", risk="medium")
    assert classify(Inputs([f], [], [], [], []), spec())[0].weight == 3 * 1.5


@pytest.mark.parametrize("bad", ["color=red", "district", "category=huge", "=x"])
def test_bad_filters_are_clear_errors(bad: str) -> None:
    with pytest.raises(DrawError, match="--filter"):
        parse_filters([bad])


def test_departments_are_sorted_and_default_to_ecology() -> None:
    assert normalize_departments(parse_departments(None)) == ("生态环境",)
    assert normalize_departments(parse_departments("市场监管, 生态环境")) == ("市场监管", "生态环境")
    assert normalize_departments(["生态环境", " 市场监管", "生态环境"]) == ("市场监管", "生态环境")


def test_library_filters_are_typed_and_name_no_flag() -> None:
    assert normalize_filters({"category": ["重点", "key"], "district": ("荷塘区",)}) == {
        "category": ("key",), "district": ("荷塘区",)}
    assert parse_filters(["category=重点", "district=荷塘区"]) == normalize_filters(
        {"category": ["key"], "district": ["荷塘区"]})
    for bad in ({"colour": ["red"]}, {"credit": ["purple"]}):
        with pytest.raises(DrawError) as info:
            normalize_filters(bad)
        assert "--" not in str(info.value)


def test_cap_counts_decides_which_kinds_count_against_the_annual_cap() -> None:
    """Default ["random"]: a special check does not count (draw-v1); ["random", "special"] counts it;
    complaint checks never count."""
    import datetime as dt

    from inspect_sched.core.frame import DrawSpec, classify
    from inspect_sched.core.inputs import Firm, Inputs, Inspection
    from inspect_sched.schema.periods import parse_period
    from inspect_sched.schema.policy import load_policy, parse_policy

    firm = Firm(uscc="914302000000000005", name="甲", district="天元区", category="general", credit="green",
                risk="low", status="active", industry="", address="", tags=())
    history = (Inspection(firm.uscc, dt.date(2026, 3, 1), "special", (), "import"),
               Inspection(firm.uscc, dt.date(2026, 4, 1), "complaint", (), "import"))
    inputs = Inputs(firms=(firm,), inspectors=(), positive_list=(), conflicts=(), history=history)

    def reason(policy) -> str:  # type: ignore[no-untyped-def]
        spec = DrawSpec(parse_period("2026-12"), "t", policy, {}, ("生态环境",))
        return classify(inputs, spec)[0].excluded_reason

    assert reason(load_policy()) == ""  # green cap 1: the special check does not count by default
    both = parse_policy({"cap_counts": ["random", "special"]})
    assert reason(both) == "annual_cap"
