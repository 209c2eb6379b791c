"""Row-level rules of the importers, each pinned to the exact problem a clerk is shown.

test_bad_input.py shows that bad files are refused with file, row and column named; these
tests pin the whole list of problems for small files, so a rule that stops after the first
bad row, names the wrong column or accepts what it should refuse fails here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from inspect_sched.errors import InputFileError, RowProblem
from inspect_sched.schema.uscc import make
from inspect_sched.store.db import get_engine
from inspect_sched.store.importers import (
    import_enterprises,
    import_positive_list,
    parse_date,
    parse_item_results_file,
    parse_results_file,
)
from inspect_sched.store.models import PositiveListEntry

A, B = make("91430200MA4L00010"), make("91430200MA4L00020")


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", "utf-8")
    return path


def _problems(call, *args) -> tuple[str, list[RowProblem]]:  # type: ignore[no-untyped-def]
    with pytest.raises(InputFileError) as info:
        call(*args)
    return info.value.path, info.value.problems


def test_every_bad_row_is_reported_not_only_the_first(sqlite_url: str, tmp_path: Path) -> None:
    f = _csv(tmp_path / "e.csv", ["统一社会信用代码", "企业名称", "所属区县"],
             [[A, "甲公司", "荷塘区"], ["123", "乙公司", "荷塘区"], [B, "丙公司", "荷塘区"], ["456", "丁公司", "荷塘区"]])
    path, problems = _problems(import_enterprises, get_engine(sqlite_url), f)
    assert path == str(f)
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "统一社会信用代码", "123"),
                                                              (5, "统一社会信用代码", "456")]


def test_two_bad_codes_are_not_also_reported_as_a_repeat(sqlite_url: str, tmp_path: Path) -> None:
    # A row with a bad key is left out of the repeat check: two unreadable codes are two
    # problems, not a third "appears twice".
    f = _csv(tmp_path / "e.csv", ["统一社会信用代码", "企业名称", "所属区县"],
             [["123", "乙公司", "荷塘区"], ["123", "丁公司", "荷塘区"]])
    _, problems = _problems(import_enterprises, get_engine(sqlite_url), f)
    assert [(p.row, p.column) for p in problems] == [(2, "统一社会信用代码"), (3, "统一社会信用代码")]


def test_a_repeated_two_column_key_names_both_columns_and_values(sqlite_url: str, tmp_path: Path) -> None:
    f = _csv(tmp_path / "p.csv", ["统一社会信用代码", "纳入日期"], [[A, "2026-01-05"], [B, "2026-01-05"], [A, "2026/1/5"]])
    path, problems = _problems(import_positive_list, get_engine(sqlite_url), f)
    assert path == str(f)
    assert problems == [RowProblem(4, "统一社会信用代码 + 纳入日期", f"{A} + 2026-01-05",
                                   "appears twice: already in row 2; keep one of the two rows")]


def test_positive_list_end_before_start_is_refused_and_on_the_same_day_accepted(sqlite_url: str,
                                                                                tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    f = _csv(tmp_path / "p.csv", ["统一社会信用代码", "纳入日期", "有效期至"],
             [[A, "2026-03-01", "2026-02-28"], [B, "2026-03-01", "2026年3月1日"]])
    _, problems = _problems(import_positive_list, engine, f)
    assert problems == [RowProblem(2, "有效期至", "2026-02-28", "ends before it starts (2026-03-01); check both dates")]
    f = _csv(tmp_path / "p2.csv", ["统一社会信用代码", "纳入日期", "有效期至"],
             [[A, "2026-03-01", "2026-03-01"], [B, "2026-03-01", ""]])
    import_positive_list(engine, f)
    with Session(engine) as s:
        ends = {e.uscc: e.end for e in s.exec(select(PositiveListEntry))}
    assert ends == {A: dt.date(2026, 3, 1), B: dt.date(2029, 3, 1)}  # empty: three years


def test_a_required_date_left_empty_says_what_to_give(tmp_path: Path) -> None:
    f = _csv(tmp_path / "r.csv", ["统一社会信用代码", "检查日期", "检查结果"], [[A, "", "未发现问题"]])
    path, problems = _problems(parse_results_file, f)
    assert path == str(f)
    assert problems == [RowProblem(2, "检查日期", "", "required: give a date like 2026-12-01, 2026/12/1 or 2026年12月1日")]


def test_a_repeated_result_names_the_row_it_repeats(tmp_path: Path) -> None:
    f = _csv(tmp_path / "r.csv", ["统一社会信用代码", "检查日期", "检查结果"],
             [[A, "2026-12-02", "未发现问题"], [B, "2026-12-02", "未发现问题"], [A, "2026-12-03", "责令改正"]])
    _, problems = _problems(parse_results_file, f)
    assert problems == [RowProblem(4, "统一社会信用代码", A, "appears twice: already in row 2; keep one of the two rows")]
    f = _csv(tmp_path / "ok.csv", ["统一社会信用代码", "检查日期", "检查结果"],
             [[A, "2026-12-02", "未发现问题"], [B, "2026-12-03", "责令改正"]])
    assert [(r.row, r.uscc, r.date, r.result) for r in parse_results_file(f)] == [
        (2, A, dt.date(2026, 12, 2), "未发现问题"), (3, B, dt.date(2026, 12, 3), "责令改正")]


def test_item_results_are_keyed_by_firm_and_item(tmp_path: Path) -> None:
    header = ["统一社会信用代码", "抽查事项", "是否发现问题"]
    f = _csv(tmp_path / "i.csv", header, [[A, "废气排放", "否"], [A, "废水排放", "是"], [A, "废气排放", "是"]])
    path, problems = _problems(parse_item_results_file, f)
    assert path == str(f)
    assert problems == [RowProblem(4, "统一社会信用代码 + 抽查事项", f"{A} + 废气排放",
                                   "appears twice: already in row 2; keep one of the two rows")]
    f = _csv(tmp_path / "ok.csv", header, [[A, "废气排放", "否"], ["bad", "废水排放", "是"], [B, "废水排放", "是"]])
    with pytest.raises(InputFileError):
        parse_item_results_file(f)
    f = _csv(tmp_path / "ok2.csv", header, [[A, "废气排放", "否"], [B, "废水排放", "是"]])
    assert [(n, r["uscc"], r["item"], r["problem"]) for n, r in parse_item_results_file(f)] == [
        (2, A, "废气排放", False), (3, B, "废水排放", True)]


@pytest.mark.parametrize(("text", "day"), [
    ("2026 年 3 月 1 日", dt.date(2026, 3, 1)),
    ("２０２６年３月１日", dt.date(2026, 3, 1)),
    ("2026年03月01", dt.date(2026, 3, 1)),
    (" 2026-3-1 ", dt.date(2026, 3, 1)),
])
def test_dates_as_clerks_type_them(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize(("text", "why"), [
    ("2026 - 03 - 01", "expected a date like 2026-12-01, 2026/12/1 or 2026年12月1日"),  # spaces only inside 年月日
    ("2026年2月30日", "there is no such day (2026-02-30); give a real calendar date"),
])
def test_dates_that_are_not_dates_say_why(text: str, why: str) -> None:
    assert parse_date(text) == why


def test_every_bad_result_row_is_reported(tmp_path: Path) -> None:
    f = _csv(tmp_path / "r.csv", ["统一社会信用代码", "检查日期", "检查结果"],
             [["123", "2026-12-02", "未发现问题"], [A, "2026-12-02", "未发现问题"], [B, "明天", "未发现问题"]])
    _, problems = _problems(parse_results_file, f)
    assert [(p.row, p.column) for p in problems] == [(2, "统一社会信用代码"), (4, "检查日期")]


@pytest.mark.parametrize(("header", "row", "problem"), [
    (["统一社会信用代码", "企业名称", "所属区县"], ["", "甲公司", "荷塘区"],
     RowProblem(2, "统一社会信用代码", "", "required: this cell must not be empty")),
    (["统一社会信用代码", "企业名称", "所属区县"], [A, "甲公司\t分厂", "荷塘区"],
     RowProblem(2, "企业名称", "甲公司\t分厂", "a line break or tab is not allowed in this column; put the text on one line")),
])
def test_an_empty_required_cell_or_a_tab_is_one_exact_problem(sqlite_url: str, tmp_path: Path, header: list[str],
                                                              row: list[str], problem: RowProblem) -> None:
    f = tmp_path / "e.csv"
    f.write_text(",".join(header) + "\n" + ",".join(f'"{c}"' for c in row) + "\n", "utf-8")
    assert _problems(import_enterprises, get_engine(sqlite_url), f)[1] == [problem]


def test_an_empty_inspector_id_or_inspection_kind_is_required(sqlite_url: str, tmp_path: Path) -> None:
    from inspect_sched.store.importers import import_history, import_inspectors

    engine = get_engine(sqlite_url)
    f = _csv(tmp_path / "i.csv", ["执法证号", "姓名", "执法证有效期至"], [["", "张三", "2030-01-01"]])
    assert _problems(import_inspectors, engine, f)[1] == [RowProblem(2, "执法证号", "", "required: this cell must not be empty")]
    f = _csv(tmp_path / "h.csv", ["统一社会信用代码", "检查日期", "检查类型"], [[A, "2026-01-05", ""]])
    assert _problems(import_history, engine, f)[1] == [RowProblem(2, "检查类型", "", "required: this cell must not be empty")]
    f = _csv(tmp_path / "h2.csv", ["统一社会信用代码", "检查日期", "检查类型", "检查人员执法证号"],
             [[A, "2026-01-05", "random", "ZZ1;ZZ 2"]])
    (p,) = _problems(import_history, engine, f)[1]
    assert (p.row, p.column, p.value) == (2, "检查人员执法证号", "ZZ 2")


def test_unknown_columns_are_kept_as_sorted_json_and_none_as_an_empty_object(sqlite_url: str, tmp_path: Path) -> None:
    from inspect_sched.store.models import Enterprise

    engine = get_engine(sqlite_url)
    f = _csv(tmp_path / "e.csv", ["统一社会信用代码", "企业名称", "所属区县", "联系人", "备注"],
             [[A, "甲公司", "荷塘区", "李四", "无"]])
    import_enterprises(engine, f)
    f = _csv(tmp_path / "e2.csv", ["统一社会信用代码", "企业名称", "所属区县"], [[B, "乙公司", "荷塘区"]])
    import_enterprises(engine, f)
    with Session(engine) as s:
        extras = {e.uscc: e.extra for e in s.exec(select(Enterprise))}
    assert extras == {A: '{"备注": "无", "联系人": "李四"}', B: "{}"}


def test_excel_date_cells_read_as_dates_in_text_columns_and_in_messages(sqlite_url: str, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from inspect_sched.store.models import Enterprise

    engine = get_engine(sqlite_url)
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "所属区县", "行业"])
    ws.append([A, "甲公司", "荷塘区", dt.datetime(2026, 1, 5)])
    wb.save(tmp_path / "e.xlsx")
    import_enterprises(engine, tmp_path / "e.xlsx")
    with Session(engine) as s:
        assert s.exec(select(Enterprise.industry)).one() == "2026-01-05"
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "纳入日期", "有效期至"])
    ws.append([A, dt.datetime(2026, 3, 1), dt.datetime(2026, 2, 28)])
    wb.save(tmp_path / "p.xlsx")
    assert _problems(import_positive_list, engine, tmp_path / "p.xlsx")[1] == [
        RowProblem(2, "有效期至", "2026-02-28", "ends before it starts (2026-03-01); check both dates")]


def test_an_unknown_inspection_kind_lists_each_accepted_word_once(sqlite_url: str, tmp_path: Path) -> None:
    from inspect_sched.store.importers import import_history

    f = _csv(tmp_path / "h.csv", ["统一社会信用代码", "检查日期", "检查类型"], [[A, "2026-01-05", "抽查"]])
    assert _problems(import_history, get_engine(sqlite_url), f)[1] == [RowProblem(
        2, "检查类型", "抽查", "unknown value; accepted: random/双随机; special/专项; complaint/信访/投诉")]
    f = _csv(tmp_path / "h2.csv", ["统一社会信用代码", "检查日期", "检查类型"], [[A, "2026-01-05", "信访/投诉"]])
    assert import_history(get_engine(sqlite_url), f).inserted == 1  # still accepted as written


def test_an_excel_serial_number_in_a_date_column_is_explained(tmp_path: Path) -> None:
    f = _csv(tmp_path / "r.csv", ["统一社会信用代码", "检查日期", "检查结果"], [[A, "46082", "未发现问题"]])
    assert _problems(parse_results_file, f)[1] == [RowProblem(
        2, "检查日期", "46082", "expected a date like 2026-12-01, 2026/12/1 or 2026年12月1日; 46082 looks like Excel's "
        "serial number for 2026-03-01: format the column as a date in Excel, or type the date")]
