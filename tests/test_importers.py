"""Importers end to end: write a file, run ``inspect-sched import ...``, reopen the DB, check rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import MetaData, select
from sqlmodel import Session, SQLModel

from inspect_sched.cli import cli
from inspect_sched.errors import InputFileError
from inspect_sched.schema.uscc import make
from inspect_sched.store import models  # noqa: F401
from inspect_sched.store.db import get_engine
from inspect_sched.store.importers import add_years, import_enterprises, parse_results_file
from inspect_sched.store.models import ConflictEntry, Enterprise, HistoryEntry, Inspector, PositiveListEntry

U1 = "91512081MA62K0260E"
U2 = make("91430200MA4L12345")
U3 = make("12430200000000001")
U4 = make("91430211MA4PQRTUW")


# ---------------------------------------------------------------------------- helpers


def write_file(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    """A CSV in ``encoding`` or, for ``xlsx``, a workbook (date objects become date cells)."""
    if encoding == "xlsx":
        path = path.with_suffix(".xlsx")
        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for row in rows:
            ws.append(row)
        wb.save(path)
        return path
    path = path.with_suffix(".csv")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def run(db_url: str, *args: str | Path):
    return CliRunner().invoke(cli, ["--db", db_url, *map(str, args)])


def rows_of(db_url: str, model, *cols: str) -> list[tuple]:
    engine = get_engine(db_url)
    try:
        with Session(engine) as s:
            table = model.__table__
            return sorted(tuple(r) for r in s.execute(select(*(table.c[c] for c in cols))))
    finally:
        engine.dispose()


def dump(db_url: str) -> dict[str, list[tuple]]:
    """Every row of every table, for before/after comparisons."""
    engine = get_engine(db_url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {name: sorted(map(tuple, conn.execute(select(t))), key=repr) for name, t in meta.tables.items()}
    finally:
        engine.dispose()


ENT_EN = ["uscc", "name", "district", "category", "credit", "risk", "status", "industry", "address", "tags"]
ENT_ZH = ["统一社会信用代码", "单位名称", "所属区县", "监管类别", "环境信用等级", "环境风险等级", "经营状态", "行业", "地址", "标签"]
INS_EN = ["inspector_id", "name", "unit", "district", "department", "cert_valid_until", "active", "specialties"]
INS_ZH = ["执法证号", "姓名", "所属单位", "所属区县", "部门", "执法证有效期至", "在岗", "专长"]

# kind -> (English header, Chinese header, rows as a user writes them, model, columns, expected rows)
SAMPLES = {
    "enterprises": (
        ENT_EN, ENT_ZH,
        [[U1, "甲化工有限公司", "荷塘区", "重点", "红", "高", "在产", "化工", "荷塘路1号", "涉危废；辐射;涉危废"],
         [U2.lower(), "乙公司", "芦淞区", "General", "Blue", "", "", "", "", ""],
         [U3, "丙厂", "石峰区", "特殊监管对象", "", "较大", "停产", "", "", ""]],
        Enterprise, ("uscc", "name", "district", "category", "credit", "risk", "status", "industry", "address", "tags"),
        [(U1, "甲化工有限公司", "荷塘区", "key", "red", "high", "active", "化工", "荷塘路1号", "涉危废;辐射"),
         (U2, "乙公司", "芦淞区", "general", "blue", "low", "active", "", "", ""),
         (U3, "丙厂", "石峰区", "special", "blue", "medium", "suspended", "", "", "")],
    ),
    "inspectors": (
        INS_EN, INS_ZH,
        [["43020001", "张三", "市生态环境局", "荷塘区", "", "2027/6/30", "是", "辐射；危废"],
         ["43020002", "李四", "", "芦淞区", "生态环境", "2027年1月1日", "no", ""],
         ["43020003", "王五", "", "", "应急管理", "2028-01-31", "", ""]],
        Inspector, ("inspector_id", "name", "unit", "district", "department", "cert_valid_until", "active", "specialties"),
        [("43020001", "张三", "市生态环境局", "荷塘区", "生态环境", dt.date(2027, 6, 30), True, "危废;辐射"),
         ("43020002", "李四", "", "芦淞区", "生态环境", dt.date(2027, 1, 1), False, ""),
         ("43020003", "王五", "", "", "应急管理", dt.date(2028, 1, 31), True, "")],
    ),
    "positive-list": (
        ["uscc", "start", "end"], ["统一社会信用代码", "纳入日期", "有效期至"],
        [[U1, "2024-02-29", ""], [U2, "2025/1/1", "2026-12-31"]],
        PositiveListEntry, ("uscc", "start", "end"),
        [(U1, dt.date(2024, 2, 29), dt.date(2027, 2, 28)), (U2, dt.date(2025, 1, 1), dt.date(2026, 12, 31))],
    ),
    "conflicts": (
        ["inspector_id", "uscc", "reason"], ["执法证号", "统一社会信用代码", "回避事由"],
        [["43020001", U1, "亲属在该企业任职"], ["43020002", U1, ""]],
        ConflictEntry, ("inspector_id", "uscc", "reason"),
        [("43020001", U1, "亲属在该企业任职"), ("43020002", U1, "")],
    ),
    "history": (
        ["uscc", "date", "kind", "inspector_ids"], ["统一社会信用代码", "检查日期", "检查类型", "检查人员执法证号"],
        [[U1, "2025-03-01", "双随机", "43020002;43020001"], [U2, "2025年4月2日", "Complaint", ""]],
        HistoryEntry, ("uscc", "date", "kind", "inspector_ids"),
        [(U1, dt.date(2025, 3, 1), "random", "43020001;43020002"), (U2, dt.date(2025, 4, 2), "complaint", "")],
    ),
}


# ---------------------------------------------------------------------------- formats


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "xlsx"])
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", list(SAMPLES))
def test_each_importer_reads_every_encoding_and_header_language(sqlite_url, tmp_path, kind, language, encoding):
    en, zh, rows, model, cols, expected = SAMPLES[kind]
    path = write_file(tmp_path / kind, en if language == "en" else zh, rows, encoding)
    result = run(sqlite_url, "import", kind, path)
    assert result.exit_code == 0, result.output
    n = len(rows)
    assert f"{kind}: {n} rows — {n} inserted, 0 updated, 0 unchanged" in result.output
    assert rows_of(sqlite_url, model, *cols) == sorted(expected)


def test_gbk_file_really_is_not_utf8(tmp_path):
    # Guards the test above: the GBK sample must exercise the fallback decoder.
    path = write_file(tmp_path / "e", ENT_ZH, SAMPLES["enterprises"][2], "gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")


def test_headers_are_matched_loosely_and_excel_date_cells_are_read(sqlite_url, tmp_path):
    header = ["Inspector ID", "ＮＡＭＥ", " Cert Valid Until ", "执法证 号".replace(" ", "") + "x"]
    path = write_file(tmp_path / "i", header, [["A-1", "张三", dt.datetime(2027, 5, 4), "kept"]], "xlsx")
    result = run(sqlite_url, "import", "inspectors", path)
    assert result.exit_code == 0, result.output
    assert rows_of(sqlite_url, Inspector, "inspector_id", "cert_valid_until", "extra") == [
        ("A-1", dt.date(2027, 5, 4), json.dumps({"执法证号x": "kept"}, ensure_ascii=False))
    ]


def test_excel_numbers_and_booleans_are_read_as_the_user_sees_them(sqlite_url, tmp_path):
    path = write_file(tmp_path / "i", INS_EN[:3] + ["cert_valid_until", "active"],
                      [[43020001, "张三", 12.0, dt.date(2027, 1, 1), False], [43020002.0, "李四", "", "2027-01-01", 1]], "xlsx")
    result = run(sqlite_url, "import", "inspectors", path)
    assert result.exit_code == 0, result.output
    assert rows_of(sqlite_url, Inspector, "inspector_id", "unit", "active") == [
        ("43020001", "12", False), ("43020002", "", True)]


def test_title_row_above_the_header_is_skipped(sqlite_url, tmp_path):
    path = tmp_path / "titled.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["株洲市检查对象名录库（2026年）"])
    ws.append([])
    ws.append(ENT_ZH[:3])
    ws.append([U1, "甲公司", "荷塘区"])
    wb.save(path)
    result = run(sqlite_url, "import", "enterprises", path)
    assert result.exit_code == 0, result.output
    assert rows_of(sqlite_url, Enterprise, "uscc", "name") == [(U1, "甲公司")]


def test_extra_columns_are_kept_as_json(sqlite_url, tmp_path):
    path = write_file(tmp_path / "e", [*ENT_ZH[:3], "排污许可证编号", "联系人"],
                      [[U1, "甲", "荷塘区", "91430200X001P", "赵六"], [U2, "乙", "芦淞区", "", ""]])
    assert run(sqlite_url, "import", "enterprises", path).exit_code == 0
    extras = dict(rows_of(sqlite_url, Enterprise, "uscc", "extra"))
    assert json.loads(extras[U1]) == {"排污许可证编号": "91430200X001P", "联系人": "赵六"}
    assert json.loads(extras[U2]) == {"排污许可证编号": "", "联系人": ""}


def test_tab_separated_text_and_blank_lines(sqlite_url, tmp_path):
    path = tmp_path / "e.txt"
    path.write_text(f"uscc\tname\tdistrict\n\n{U1}\t甲\t荷塘区\n\t\t\n{U2}\t乙\t芦淞区\n", encoding="utf-8")
    result = run(sqlite_url, "import", "enterprises", path)
    assert result.exit_code == 0, result.output
    assert rows_of(sqlite_url, Enterprise, "uscc") == sorted([(U1,), (U2,)])


# ---------------------------------------------------------------------------- bad rows: both backends


BAD_CASES = {
    # name: (kind, header, rows, fragments the message must contain)
    "bad_check_char": ("enterprises", ENT_ZH[:3], [[U2, "乙", "芦淞区"], [U1[:-1] + "F", "甲", "荷塘区"]],
                       ["row 3", "统一社会信用代码", "should be 'E'"]),
    "bad_alphabet": ("conflicts", ["执法证号", "统一社会信用代码"], [["1", "91512081MA62KO260E"]],
                     ["row 2", "统一社会信用代码", "'O'"]),
    "duplicate_key": ("enterprises", ENT_EN[:3], [[U3, "甲", "荷塘区"], [U3.lower(), "甲2", "荷塘区"]],
                      ["row 3", "uscc", "already in row 2"]),
    "duplicate_inspector": ("inspectors", INS_EN, [["X1", "张", "", "", "", "2027-01-01", "", ""],
                                                   ["X1", "李", "", "", "", "2027-01-01", "", ""]],
                            ["row 3", "inspector_id", "already in row 2"]),
    "duplicate_conflict": ("conflicts", ["inspector_id", "uscc"], [["X1", U1], ["X1", U1]],
                           ["row 3", "inspector_id + uscc", "already in row 2"]),
    "missing_value": ("enterprises", ENT_ZH[:3], [[U3, "", "荷塘区"]], ["row 2", "单位名称", "required"]),
    "missing_column": ("enterprises", ["uscc", "name"], [[U3, "甲"]],
                       ["missing required column", "district", "所属区县", "行政区划"]),
    "unknown_enum": ("enterprises", ENT_EN[:5], [[U3, "甲", "荷塘区", "key", "purple"]],
                     ["row 2", "credit", "purple", "green/诚信"]),
    "unknown_kind": ("history", ["uscc", "date", "kind"], [[U1, "2025-01-01", "例行"]],
                     ["row 2", "kind", "random/双随机"]),
    "impossible_date": ("inspectors", INS_ZH, [["X1", "张", "", "", "", "2026-02-30", "", ""]],
                        ["row 2", "执法证有效期至", "no such day"]),
    "unreadable_date": ("history", ["uscc", "date", "kind"], [[U1, "next tuesday", "random"]],
                        ["row 2", "date", "2026年12月1日"]),
    "bad_boolean": ("inspectors", INS_EN, [["X1", "张", "", "", "", "2027-01-01", "maybe", ""]],
                    ["row 2", "active", "maybe", "是"]),
    "end_before_start": ("positive-list", ["uscc", "start", "end"], [[U1, "2026-05-01", "2026-04-30"]],
                         ["row 2", "end", "ends before it starts"]),
    "duplicate_header": ("enterprises", ["uscc", "统一社会信用代码", "name", "district"], [[U1, U1, "甲", "荷塘区"]],
                         ["both mean 'uscc'"]),
}


# The kinds of bad row the brief lists run on both backends; the rest on SQLite only (speed).
BOTH_BACKENDS = {"bad_check_char", "duplicate_key", "missing_value", "missing_column", "unknown_enum",
                 "impossible_date", "bad_boolean", "end_before_start", "duplicate_conflict"}


@pytest.mark.parametrize("case", sorted(BOTH_BACKENDS))
def test_bad_file_exits_1_names_the_cell_and_changes_nothing(db_url, tmp_path, case):
    _check_bad_file(db_url, tmp_path, case)


@pytest.mark.parametrize("case", sorted(set(BAD_CASES) - BOTH_BACKENDS))
def test_more_bad_files_sqlite(sqlite_url, tmp_path, case):
    _check_bad_file(sqlite_url, tmp_path, case)


def _check_bad_file(db_url, tmp_path, case):
    # A populated database first, so "unchanged" means something for updates too.
    for kind in ("enterprises", "inspectors", "conflicts"):
        en, _zh, rows, *_ = SAMPLES[kind]
        assert run(db_url, "import", kind, write_file(tmp_path / f"seed_{kind}", en, rows)).exit_code == 0
    before = dump(db_url)
    kind, header, rows, fragments = BAD_CASES[case]
    # A good row alongside the bad one proves nothing is written partially.
    path = write_file(tmp_path / f"bad_{case}", header, rows)
    result = run(db_url, "import", kind, path)
    assert result.exit_code == 1, result.output
    assert path.name in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert "Traceback" not in result.output
    assert dump(db_url) == before


def test_many_bad_rows_are_all_counted_but_only_20_shown(sqlite_url, tmp_path):
    rows = [[U1, "甲", "荷塘区"]] + [[f"BAD{i}", "x", "y"] for i in range(30)]
    result = run(sqlite_url, "import", "enterprises", write_file(tmp_path / "e", ENT_EN[:3], rows))
    assert result.exit_code == 1
    assert "30 bad row(s)" in result.output and "and 10 more" in result.output
    assert "row 22," in result.output and "row 23," not in result.output
    assert rows_of(sqlite_url, Enterprise, "uscc") == []


# ---------------------------------------------------------------------------- unreadable files


def _xlsx_with_formula(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(ENT_EN[:3])
    ws.append([U1, "甲", "=UPPER(\"x\")"])  # openpyxl saves no cached value
    wb.save(path)
    return path


def _truncated_xlsx(path: Path) -> Path:
    good = write_file(path.with_name("good"), ENT_EN[:3], [[U1, "甲", "荷塘区"]], "xlsx")
    path.write_bytes(good.read_bytes()[:900])
    return path


@pytest.mark.parametrize(
    ("name", "make_file", "fragment"),
    [
        ("empty.csv", lambda p: p.write_bytes(b""), "empty"),
        ("blank.csv", lambda p: p.write_text("\n \n,,\n"), "empty"),
        ("header_only.csv", lambda p: p.write_text("uscc,name,district\n"), "no data rows"),
        ("latin.csv", lambda p: p.write_bytes(b"uscc,name,district\nA,\x80\xff\x80,B\n"), "not UTF-8 or GBK"),
        ("utf16.csv", lambda p: p.write_bytes("uscc,name\n".encode("utf-16")), "UTF-16"),
        ("utf16le.csv", lambda p: p.write_bytes("统一社会信用代码,单位名称\nA1,甲\n".encode("utf-16-le")), "UTF-16"),
        ("nul.csv", lambda p: p.write_bytes(f"uscc,name,district\n{U1},a\x00b,c\n".encode()), "NUL"),
        ("huge.csv", lambda p: p.write_text(f"uscc,name,district\n{U1},{'x' * 10_001},d\n"), "10,000"),
        ("formula.xlsx", _xlsx_with_formula, "C2 (district)"),  # the cell, and the column by its header
        ("truncated.xlsx", _truncated_xlsx, "not a readable .xlsx"),
        ("text.xlsx", lambda p: p.write_text("uscc,name\n"), "not a readable .xlsx"),
        ("old.xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0"), "Save As"),
        ("quote.csv", lambda p: p.write_text(f'uscc,name,district\n{U1},"a b,c\n{U2},x,y\n'), "line 2: not valid CSV"),
        ("quote2.csv", lambda p: p.write_text(f'uscc,name,district\n{U1},"a"b,c\n'), "line 2: not valid CSV"),
    ],
)
def test_unreadable_files_are_clean_errors(sqlite_url, tmp_path, name, make_file, fragment):
    path = tmp_path / name
    make_file(path)
    result = run(sqlite_url, "import", "enterprises", path)
    assert result.exit_code == 1, result.output
    assert fragment in result.output and name in result.output, result.output
    assert "Traceback" not in result.output
    assert rows_of(sqlite_url, Enterprise, "uscc") == []


def test_missing_file_is_a_usage_error(sqlite_url, tmp_path):
    assert run(sqlite_url, "import", "history", tmp_path / "nope.csv").exit_code == 2


# ---------------------------------------------------------------------------- upserts: both backends


def test_enterprise_upsert_counts_and_replace(db_url, tmp_path):
    first = write_file(tmp_path / "a", ENT_EN[:5], [[U1, "甲", "荷塘区", "key", "red"], [U2, "乙", "芦淞区", "", ""],
                                                    [U3, "丙", "石峰区", "", ""]])
    out = run(db_url, "import", "enterprises", first)
    assert "3 rows — 3 inserted, 0 updated, 0 unchanged" in out.output, out.output

    second = write_file(tmp_path / "b", ENT_EN[:5], [[U1, "甲", "荷塘区", "key", "green"], [U2, "乙", "芦淞区", "", ""],
                                                     [U4, "丁", "天元区", "", ""]])
    out = run(db_url, "import", "enterprises", second)
    assert "3 rows — 1 inserted, 1 updated, 1 unchanged" in out.output, out.output
    assert rows_of(db_url, Enterprise, "uscc", "credit") == sorted(
        [(U1, "green"), (U2, "blue"), (U3, "blue"), (U4, "blue")])

    out = run(db_url, "import", "enterprises", second, "--replace")
    assert out.exit_code == 0, out.output
    assert "3 rows — 0 inserted, 0 updated, 3 unchanged, 1 deleted" in out.output, out.output
    assert rows_of(db_url, Enterprise, "uscc") == sorted([(U1,), (U2,), (U4,)])


def test_inspector_upsert_and_replace(db_url, tmp_path):
    en, _zh, rows, *_ = SAMPLES["inspectors"]
    assert run(db_url, "import", "inspectors", write_file(tmp_path / "a", en, rows)).exit_code == 0
    changed = [rows[0][:6] + ["否"] + rows[0][7:], rows[1]]
    out = run(db_url, "import", "inspectors", write_file(tmp_path / "b", en, changed), "--replace")
    assert "2 rows — 0 inserted, 1 updated, 1 unchanged, 1 deleted" in out.output, out.output
    assert rows_of(db_url, Inspector, "inspector_id", "active") == [("43020001", False), ("43020002", False)]


def test_positive_list_and_conflicts_upsert_on_their_keys(db_url, tmp_path):
    assert run(db_url, "import", "positive-list", write_file(tmp_path / "p1", ["uscc", "start"], [[U1, "2025-01-01"]])).exit_code == 0
    out = run(db_url, "import", "positive-list",
              write_file(tmp_path / "p2", ["uscc", "start", "end"], [[U1, "2025-01-01", "2025-12-31"], [U1, "2026-01-01", ""]]))
    assert "2 rows — 1 inserted, 1 updated, 0 unchanged" in out.output, out.output
    assert rows_of(db_url, PositiveListEntry, "uscc", "start", "end") == [
        (U1, dt.date(2025, 1, 1), dt.date(2025, 12, 31)), (U1, dt.date(2026, 1, 1), dt.date(2029, 1, 1))]

    assert run(db_url, "import", "conflicts", write_file(tmp_path / "c1", ["执法证号", "统一社会信用代码", "回避事由"],
                                                         [["A", U1, "亲属"]])).exit_code == 0
    out = run(db_url, "import", "conflicts", write_file(tmp_path / "c2", ["执法证号", "统一社会信用代码", "回避事由"],
                                                        [["A", U1, "曾任职"], ["Ａ", U2, ""]]))
    assert "2 rows — 1 inserted, 1 updated, 0 unchanged" in out.output, out.output
    # The full-width Ａ is the same inspector as A.
    assert rows_of(db_url, ConflictEntry, "inspector_id", "uscc", "reason") == sorted([("A", U1, "曾任职"), ("A", U2, "")])


def test_history_appends_and_ignores_exact_duplicates(db_url, tmp_path):
    header = ["uscc", "date", "kind", "inspector_ids"]
    rows = [[U1, "2025-03-01", "random", "B;A"], [U1, "2025/3/1", "双随机", "A;B"], [U1, "2025-03-01", "special", "A;B"]]
    out = run(db_url, "import", "history", write_file(tmp_path / "h1", header, rows))
    assert "3 rows — 2 inserted, 0 updated, 1 unchanged" in out.output, out.output
    out = run(db_url, "import", "history", write_file(tmp_path / "h2", header, rows + [[U2, "2025-04-01", "complaint", ""]]))
    assert "4 rows — 1 inserted, 0 updated, 3 unchanged" in out.output, out.output
    assert rows_of(db_url, HistoryEntry, "uscc", "date", "kind", "inspector_ids") == sorted([
        (U1, dt.date(2025, 3, 1), "random", "A;B"), (U1, dt.date(2025, 3, 1), "special", "A;B"),
        (U2, dt.date(2025, 4, 1), "complaint", "")])


def test_a_corrected_history_row_is_warned_about_and_replace_makes_the_history_the_file(db_url, tmp_path):
    """A clerk fixes an inspector id in a history row: appended, it would be a second
    inspection that day (counting twice toward annual_cap), so the import says so; with
    --replace the stored history becomes exactly the corrected file."""
    header = ["uscc", "date", "kind", "inspector_ids"]
    run(db_url, "import", "history", write_file(tmp_path / "h1", header, [[U1, "2025-03-01", "random", "A;B"],
                                                                      [U2, "2025-04-01", "random", "C"]]))
    fixed = write_file(tmp_path / "h2", header, [[U1, "2025-03-01", "random", "A;D"], [U2, "2025-04-01", "random", "C"]])
    out = run(db_url, "import", "history", fixed)
    assert "2 rows — 1 inserted, 0 updated, 1 unchanged" in out.output
    assert (f"warning: {U1} 2025-03-01 random: already stored with inspectors A;B, so this row adds a second "
            "inspection that day (both count toward annual_cap). If it corrects the stored row, import the "
            "corrected file with --replace") in out.output
    assert len(rows_of(db_url, HistoryEntry, "uscc")) == 3
    out = run(db_url, "import", "history", fixed, "--replace")
    assert "2 rows — 0 inserted, 0 updated, 2 unchanged, 1 deleted (not in the file)" in out.output
    assert "already stored" not in out.output  # no second-inspection warning under --replace
    assert f"warning: 1 imported inspection(s) deleted (not in the file): {U1} 2025-03-01 random;" in out.output
    assert rows_of(db_url, HistoryEntry, "uscc", "date", "kind", "inspector_ids") == sorted([
        (U1, dt.date(2025, 3, 1), "random", "A;D"), (U2, dt.date(2025, 4, 1), "random", "C")])


def test_two_rows_of_one_inspection_with_other_inspectors_in_one_file_are_warned_about(db_url, tmp_path):
    header = ["uscc", "date", "kind", "inspector_ids"]
    out = run(db_url, "import", "history", write_file(tmp_path / "h", header, [
        [U1, "2025-03-01", "random", "A;B"], [U1, "2025-03-01", "random", "A;C"], [U2, "2025-03-01", "random", "A"]]))
    assert out.exit_code == 0 and "3 inserted" in out.output
    assert (f"warning: {U1} 2025-03-01 random: twice in this file with other inspectors, so two inspections that day "
            "(both count toward annual_cap); keep one row if they are one") in out.output
    assert out.output.count("warning:") == 1


def test_history_replace_never_deletes_what_a_draws_results_recorded(db_url, tmp_path):
    """--replace makes the *imported* history the file: the inspections that a draw's results
    recorded stay (they are the ledger's, not the file's), and what is deleted is listed."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from helpers import draw, drawn_firms, full_results, results_csv, small_pool

    engine = get_engine(db_url)
    small_pool(engine)
    draw(engine, tmp_path / "b")
    run(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", full_results(engine, 1))), "--draw", "1")
    recorded = sorted(f.uscc for f in drawn_firms(engine, 1))
    header = ["uscc", "date", "kind", "inspector_ids"]
    run(db_url, "import", "history", write_file(tmp_path / "h1", header, [[U1, "2025-03-01", "random", "A"],
                                                                      [U2, "2025-04-01", "random", "B"]]))
    out = run(db_url, "import", "history", write_file(tmp_path / "h2", header, [[U2, "2025-04-01", "random", "B"]]),
              "--replace")
    assert out.exit_code == 0, out.output
    assert "1 unchanged, 1 deleted (not in the file)" in out.output
    assert (f"warning: 1 imported inspection(s) deleted (not in the file): {U1} 2025-03-01 random; their firms "
            "count as not inspected then for plans made from now on (results recorded by draws are kept)") in out.output
    from sqlmodel import select as sm_select

    with Session(engine) as s:
        by_draw = sorted(h.uscc for h in s.exec(sm_select(HistoryEntry).where(HistoryEntry.draw_id == 1)))
        imported = [(h.uscc, h.date) for h in s.exec(sm_select(HistoryEntry).where(HistoryEntry.draw_id.is_(None)))]
    assert by_draw == recorded and imported == [(U2, dt.date(2025, 4, 1))]


def test_a_history_row_dated_after_today_is_warned_about(db_url, tmp_path):
    from inspect_sched.schema.periods import today_china

    today = today_china()
    later = (today + dt.timedelta(days=1)).isoformat()
    out = run(db_url, "import", "history", write_file(tmp_path / "h", ["uscc", "date", "kind"],
                                                       [[U1, today.isoformat(), "random"], [U2, later, "random"]]))
    assert out.exit_code == 0
    assert (f"warning: row(s) 3: dated after today ({today.isoformat()}); history holds past inspections, and a "
            "later date counts toward that year's annual_cap: check the dates") in out.output
    assert len(rows_of(db_url, HistoryEntry, "uscc")) == 2


# ---------------------------------------------------------------------------- library API


def test_progress_callback_reaches_the_total(sqlite_url, tmp_path):
    rows = [[make(f"91430200{i:09d}"), f"企业{i}", "荷塘区"] for i in range(12_000)]
    path = write_file(tmp_path / "big", ENT_EN[:3], rows)
    calls: list[tuple[int, int | None]] = []
    summary = import_enterprises(get_engine(sqlite_url), path, progress=lambda d, t: calls.append((d, t)))
    assert summary.inserted == 12_000 and summary.total == 12_000
    assert (5000, None) in calls and calls[-1] == (12_000, 12_000)
    assert [d for d, t in calls if t] == sorted(d for d, t in calls if t)


def test_parse_results_file(tmp_path):
    path = write_file(tmp_path / "r", ["统一社会信用代码", "检查日期", "检查结果", "处理措施", "实际检查人员执法证号"],
                      [[U1.lower(), dt.date(2026, 5, 3), "责令改正", "限期整改", "B；A"], [U2, "2026年5月4日", "未发现问题", "", ""]],
                      "xlsx")
    rows = parse_results_file(path)
    assert [(r.row, r.uscc, r.date, r.result, r.measures, r.inspector_ids) for r in rows] == [
        (2, U1, dt.date(2026, 5, 3), "责令改正", "限期整改", ("A", "B")),
        (3, U2, dt.date(2026, 5, 4), "未发现问题", "", ()),
    ]


def test_parse_results_file_rejects_bad_rows(tmp_path):
    path = write_file(tmp_path / "r", ["uscc", "date", "result"],
                      [[U1, "2026-05-03", "责令改正"], [U1, "2026-05-04", "未发现问题"], [U2, "2026-13-01", ""]])
    with pytest.raises(InputFileError) as err:
        parse_results_file(path)
    text = str(err.value)
    assert "row 3" in text and "already in row 2" in text
    assert "row 4, column 'date'" in text and "row 4, column 'result'" in text


@pytest.mark.parametrize(
    ("day", "expected"),
    [(dt.date(2024, 2, 29), dt.date(2027, 2, 28)), (dt.date(2025, 3, 1), dt.date(2028, 3, 1)),
     (dt.date(2025, 2, 28), dt.date(2028, 2, 28))],
)
def test_add_years(day, expected):
    assert add_years(day, 3) == expected


def test_import_commands_have_examples():
    for sub in ("enterprises", "inspectors", "positive-list", "conflicts", "history"):
        out = CliRunner().invoke(cli, ["import", sub, "--help"])
        assert out.exit_code == 0 and "Example:" in out.output and f"import {sub}" in out.output


assert SQLModel  # the models are registered before dump() reflects them


@pytest.mark.parametrize("encoding", ["utf-8", "xlsx"])
def test_a_file_with_fewer_columns_updates_only_the_columns_it_has(db_url: str, tmp_path: Path, encoding: str) -> None:
    """A clerk re-imports four columns to fix a credit grade: industry, address, tags, category,
    risk and status of the stored firm stay as they were (never blanked or reset to defaults);
    a new firm in the same file gets the defaults; the summary names the kept columns."""
    full = write_file(tmp_path / "full", ENT_ZH, [
        [U2, "株洲甲厂", "荷塘区", "重点", "严重失信", "高", "停产", "电镀", "荷塘路1号", "涉重金属;涉危废"]], encoding)
    assert run(db_url, "import", "enterprises", full).exit_code == 0
    part = write_file(tmp_path / "part", ["统一社会信用代码", "单位名称", "所属区县", "环境信用等级"],
                      [[U2, "株洲甲厂", "荷塘区", "不良"], [U4, "株洲乙厂", "天元区", "良好"]], encoding)
    r = run(db_url, "import", "enterprises", part)
    assert r.exit_code == 0, r.output
    assert "1 inserted, 1 updated, 0 unchanged" in r.output
    assert "kept as stored for the 1 existing row(s): 监管类别 (category), 环境风险等级 (risk)" in r.output
    assert "行业 (industry), 地址 (address), 标签 (tags)" in r.output
    cols = ("uscc", "category", "credit", "risk", "status", "industry", "address", "tags")
    assert rows_of(db_url, Enterprise, *cols) == sorted([
        (U2, "key", "red", "high", "suspended", "电镀", "荷塘路1号", "涉危废;涉重金属"),  # tags stored sorted
        (U4, "general", "blue", "low", "active", "", "", ""),
    ])
    # Re-importing the same partial file changes nothing.
    r = run(db_url, "import", "enterprises", part)
    assert "0 inserted, 0 updated, 2 unchanged" in r.output


def test_codes_that_excel_turned_into_numbers_are_explained(db_url: str, tmp_path: Path) -> None:
    """Excel shows 18 digits as 9.14302E+17 and keeps 15 significant digits of a number cell: the
    message says that, not just "wrong check character"."""
    sci = write_file(tmp_path / "sci", ENT_ZH[:3], [["9.14302E+17", "株洲甲厂", "荷塘区"]])
    r = run(db_url, "import", "enterprises", sci)
    assert r.exit_code == 1 and "scientific notation" in r.output and "文本 (Text)" in r.output
    wb = Workbook()
    ws = wb.active
    ws.append(ENT_ZH[:3])
    ws.append([914302244540403061, "株洲乙厂", "荷塘区"])  # stored as a float: the last digits are lost
    wb.save(tmp_path / "num.xlsx")
    r = run(db_url, "import", "enterprises", tmp_path / "num.xlsx")
    assert r.exit_code == 1 and "15 significant digits" in r.output and "row 2" in r.output
    assert rows_of(db_url, Enterprise, "uscc") == []


def test_an_empty_cell_keeps_a_stored_grade_and_gives_a_new_row_the_default(db_url: str, tmp_path: Path) -> None:
    """An empty 环境信用等级 cell must not turn a stored 严重失信 firm into 良好 (a higher chance of
    never being drawn), nor an empty 部门 move a 市场监管 inspector to 生态环境."""
    full = write_file(tmp_path / "full", ENT_ZH, [
        [U2, "株洲甲厂", "荷塘区", "重点", "严重失信", "高", "停产", "电镀", "荷塘路1号", "涉重金属"]])
    assert run(db_url, "import", "enterprises", full).exit_code == 0
    blank = write_file(tmp_path / "blank", ENT_ZH, [
        [U2, "株洲甲厂", "荷塘区", "", "", "", "", "", "", ""], [U4, "株洲乙厂", "天元区", "", "", "", "", "", "", ""]])
    r = run(db_url, "import", "enterprises", blank)
    assert r.exit_code == 0, r.output
    got = {u: rest for u, *rest in rows_of(db_url, Enterprise, "uscc", "category", "credit", "risk", "status", "tags")}
    assert got[U2] == ["key", "black", "high", "suspended", ""]  # grades kept; free text cleared as given
    assert got[U4] == ["general", "blue", "low", "active", ""]  # a new firm: SPEC §2's defaults
    ins = write_file(tmp_path / "ins", INS_ZH, [["SJ-01", "甲", "株洲市市场监督管理局", "天元区", "市场监管", "2030-01-01",
                                                 "是", "检验检测"]])
    assert run(db_url, "import", "inspectors", ins).exit_code == 0
    ins2 = write_file(tmp_path / "ins2", INS_ZH, [["SJ-01", "甲", "株洲市市场监督管理局", "天元区", "", "2030-01-01",
                                                  "", "检验检测"]])
    assert run(db_url, "import", "inspectors", ins2).exit_code == 0
    assert rows_of(db_url, Inspector, "inspector_id", "department", "active") == [("SJ-01", "市场监管", True)]
