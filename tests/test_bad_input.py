"""The bad-input catalogue: every way a user can get a file, a policy or a command wrong.

Each case runs the real command line (CliRunner) against a populated database (a pool, a
draw, its results) and checks: exit 1 (2 for click usage errors), a message naming where
(file, row, column) and what, no traceback, the database byte-for-byte unchanged (a full
ordered dump of every table, ``tests/dbdump.py``) and no output folder left behind.

The database is shared by all cases of a backend (module scope) — each case compares its
own before/after dumps — so the whole catalogue runs on SQLite and PostgreSQL quickly.
"""

from __future__ import annotations

import codecs
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import new_database
from dbdump import diff, dump
from helpers import draw, full_results, results_csv, small_pool, today_cn
from openpyxl import Workbook
from sqlmodel import Session, select

from inspect_sched.cli import cli
from inspect_sched.schema import uscc as uscc_mod
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import ConflictEntry, Draw, DrawFirm, Enterprise, Inspector

U1 = uscc_mod.make("91430200MA4L00001")
U2 = uscc_mod.make("91430200MA4L00002")
BAD_CHECK = U1[:-1] + ("0" if U1[-1] != "0" else "1")
SEED = "20261201093015482736"


# ---------------------------------------------------------------------------- the shared database


@dataclass
class Base:
    url: str
    draw_id: int
    drawn: list[str]  # usccs of the draw's firms


def _populate(url: str, tmp: Path) -> Base:
    engine = get_engine(url)
    small_pool(engine)
    d = draw(engine, tmp / "bundle")
    rows = full_results(engine, d.draw_id)
    r = CliRunner().invoke(
        cli,
        [
            "--db",
            url,
            "results",
            "import",
            str(results_csv(tmp / "r.csv", rows[:-1])),
            "--draw",
            str(d.draw_id),
        ],
    )
    assert r.exit_code == 0, r.output
    engine.dispose()
    return Base(url, d.draw_id, [r["uscc"] for r in rows])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    tmp = tmp_path_factory.mktemp(f"bad_input_{request.param}")
    with new_database(request.param, tmp) as url:
        yield _populate(url, tmp)


# ---------------------------------------------------------------------------- file makers


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ENT = ["统一社会信用代码", "单位名称", "所属区县"]
INS = ["执法证号", "姓名", "所属区县", "执法证有效期至", "在岗"]
GOOD_ENT = [U2, "乙公司", "芦淞区"]


def ent(*rows: list[str], header: list[str] = ENT, encoding: str = "utf-8") -> bytes:
    return csv_bytes(header, [GOOD_ENT, *rows], encoding)


def formula_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(ENT)
    ws.append([U2, "乙公司", "芦淞区"])
    ws.append([U1, '=CONCAT("甲","公司")', "荷塘区"])  # openpyxl saves no cached value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def truncated_xlsx() -> bytes:
    data = xlsx_bytes(ENT, [GOOD_ENT, [U1, "甲公司", "荷塘区"]])
    return data[: len(data) // 2]


def xlsx_missing_sheet() -> bytes:
    """A valid zip that is not a workbook."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


def _rewrite_xlsx(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, change(name, src.read(name)))
    return out.getvalue()


def dimension_bomb_xlsx() -> bytes:
    """5 KB declaring A1:XFD1048576, with one cell at XFD1048576: read naively, 17 billion cells."""

    def change(name: str, body: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            body = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', body)
            body = body.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr">'
                                                 b"<is><t>x</t></is></c></row></sheetData>")
        return body

    return _rewrite_xlsx(xlsx_bytes(ENT, [GOOD_ENT]), change)


def shared_strings_bomb_xlsx() -> bytes:
    """About 414 KB whose shared strings expand to 170 MB (10 million entries)."""
    n = 10_000_000
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml"'
            b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ).encode(),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData><row r="1">'
            '<c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
        ).encode(),
        "xl/sharedStrings.xml": (f'<?xml version="1.0"?><sst xmlns="{main}" count="{n}" uniqueCount="{n}">'.encode()
                                 + b"<si><t>a</t></si>" * n + b"</sst>"),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def mixed_encoding_csv() -> bytes:
    """GBK, with line 3 pasted in as UTF-8 (valid GB18030 too, so it decodes as mojibake)."""
    lines = [",".join(ENT).encode("gbk"), ",".join(GOOD_ENT).encode("gbk"),
             f"{U1},甲乙,天元".encode()]  # reads as 鐢蹭箼,澶╁厓 in GB18030
    return b"\n".join(lines) + b"\n"


def out_symlink(tmp: Path, _b: Base) -> list[str]:
    (tmp / "real").mkdir()
    (tmp / "link").symlink_to(tmp / "real")
    return ["draw", "--period", "2026-11", "--seed", SEED, "--out", str(tmp / "link")]


# ---------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Case:
    args: Callable[[Path, Base], list[str]]  # the command line after --db URL
    fragments: tuple[str, ...]  # the message must contain each (``{file}`` = the file's path)
    code: int = 1


def imp(kind: str, name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path, Base], list[str]]:
    def make(tmp: Path, _b: Base) -> list[str]:
        p = tmp / name
        p.write_bytes(data() if callable(data) else data)
        return ["import", kind, str(p)]

    return make


def policy(toml: str) -> Callable[[Path, Base], list[str]]:
    def make(tmp: Path, _b: Base) -> list[str]:
        p = tmp / "policy.toml"
        p.write_text(toml, encoding="utf-8")
        return ["draw", "--period", "2026-11", "--seed", SEED, "--policy", str(p), "--out", str(tmp / "out")]

    return make


def results(
    rows: Callable[[Base], list[list[str]]] | bytes, name: str = "results.csv", draw_id: int | None = None
) -> Callable[[Path, Base], list[str]]:
    header = ["统一社会信用代码", "检查日期", "检查结果", "处理措施", "实际检查人员执法证号"]

    def make(tmp: Path, b: Base) -> list[str]:
        p = tmp / name
        p.write_bytes(rows if isinstance(rows, bytes) else csv_bytes(header, rows(b)))
        return ["results", "import", str(p), "--draw", str(draw_id or b.draw_id)]

    return make


def draw_args(*extra: str, seed: str = SEED, period: str = "2026-11") -> Callable[[Path, Base], list[str]]:
    def make(tmp: Path, _b: Base) -> list[str]:
        return ["draw", "--period", period, "--seed", seed, *extra, "--out", str(tmp / "out")]

    return make


def const(*args: str) -> Callable[[Path, Base], list[str]]:
    return lambda tmp, _b: [a.replace("{tmp}", str(tmp)) for a in args]


def existing_out(tmp: Path, _b: Base) -> list[str]:
    (tmp / "taken").mkdir()
    (tmp / "taken" / "notes.txt").write_text("mine", encoding="utf-8")
    return ["draw", "--period", "2026-11", "--seed", SEED, "--out", str(tmp / "taken")]


def no_manifest(tmp: Path, _b: Base) -> list[str]:
    (tmp / "folder").mkdir()
    (tmp / "folder" / "frame.csv").write_text("uscc\n", encoding="utf-8")
    return ["verify", str(tmp / "folder")]


def _today() -> str:
    return today_cn()


CASES: dict[str, Case] = {
    # --- encodings and unreadable files (all five importers share the reader; spread over them)
    "utf16_enterprises": Case(
        imp("enterprises", "e.csv", codecs.BOM_UTF16_LE + ",".join(ENT).encode("utf-16-le")),
        ("{file}", "UTF-16"),
    ),
    "utf16_no_bom_inspectors": Case(
        imp("inspectors", "i.csv", "执法证号,姓名\nA1,张三\n".encode("utf-16-le")), ("{file}", "UTF-16")
    ),
    "latin1_conflicts": Case(
        imp(
            "conflicts",
            "c.csv",
            f"inspector_id,uscc,reason\nA1,{U1},Soci\u00e9t\u00e9 \u00ff\n".encode("latin-1"),
        ),
        ("{file}", "not UTF-8 or GBK"),
    ),
    "shift_jis_history": Case(
        imp("history", "h.csv", f"uscc,date,kind\n{U1},2025-01-01,ﾃｽﾄ,\n".encode("shift_jis")),
        ("{file}", "not UTF-8 or GBK"),
    ),
    "empty_enterprises": Case(imp("enterprises", "e.csv", b""), ("{file}", "empty")),
    "blank_lines_only": Case(imp("positive-list", "p.csv", b"\n\n  \n"), ("{file}", "empty")),
    "header_only_inspectors": Case(
        imp("inspectors", "i.csv", csv_bytes(INS, [])), ("{file}", "no data rows")
    ),
    "header_only_xlsx": Case(imp("enterprises", "e.xlsx", xlsx_bytes(ENT, [])), ("{file}", "no data rows")),
    "truncated_xlsx": Case(imp("enterprises", "e.xlsx", truncated_xlsx), ("{file}", "not a readable .xlsx")),
    "zip_not_workbook": Case(
        imp("inspectors", "i.xlsx", xlsx_missing_sheet), ("{file}", "not a readable .xlsx")
    ),
    "csv_named_xlsx": Case(
        imp("conflicts", "c.xlsx", b"inspector_id,uscc\nA,B\n"), ("{file}", "not a readable .xlsx")
    ),
    "old_xls": Case(imp("enterprises", "e.xls", b"\xd0\xcf\x11\xe0"), ("{file}", ".xls")),
    "unknown_suffix": Case(imp("history", "h.json", b"{}"), ("{file}", "unknown file type")),
    "formula_without_value": Case(imp("enterprises", "e.xlsx", formula_xlsx), ("{file}", "B3 (单位名称)", "formula")),
    "unbalanced_quote": Case(
        imp("conflicts", "c.csv", f'inspector_id,uscc,reason\nA1,{U1},"open\n'.encode()),
        ("{file}", "line 2", "not valid CSV"),
    ),
    "nul_byte_cell": Case(imp("enterprises", "e.csv", ent([U1, "甲\x00公司", "荷塘区"])), ("{file}",)),
    # --- headers
    "unknown_columns_only": Case(
        imp("enterprises", "e.csv", csv_bytes(["foo", "bar"], [["1", "2"]])),
        ("{file}", "missing required column", "uscc", "统一社会信用代码"),
    ),
    "missing_required_column": Case(
        imp("inspectors", "i.csv", csv_bytes(["执法证号", "姓名"], [["A9", "张"]])),
        ("{file}", "missing required column", "cert_valid_until", "执法证有效期至"),
    ),
    "duplicated_column_alias": Case(
        imp(
            "enterprises",
            "e.csv",
            csv_bytes(["uscc", "统一社会信用代码", "name", "district"], [[U1, U1, "甲", "荷塘区"]]),
        ),
        ("{file}", "row 1", "both mean 'uscc'"),
    ),
    "duplicated_unknown_column": Case(
        imp("enterprises", "e.csv", csv_bytes([*ENT, "备注", "备注"], [[U1, "甲", "荷塘区", "a", "b"]])),
        ("{file}", "备注", "appears twice"),
    ),
    # --- 统一社会信用代码
    "bad_check_character": Case(
        imp("enterprises", "e.csv", ent([BAD_CHECK, "甲公司", "荷塘区"])),
        ("{file}", "row 3", "统一社会信用代码", BAD_CHECK),
    ),
    "uscc_too_short": Case(
        imp("positive-list", "p.csv", csv_bytes(["uscc", "start"], [[U1[:17], "2026-01-01"]])),
        ("{file}", "row 2", "uscc", "18 characters"),
    ),
    "uscc_letter_O": Case(
        imp("conflicts", "c.csv", csv_bytes(["inspector_id", "uscc"], [["A1", U1[:8] + "O" + U1[9:]]])),
        ("{file}", "row 2", "uscc", "'O'"),
    ),
    "duplicate_uscc_case": Case(
        imp("enterprises", "e.csv", ent([U1, "甲", "荷塘区"], [U1.lower(), "甲2", "荷塘区"])),
        ("{file}", "row 4", "already in row 3"),
    ),
    "duplicate_inspector": Case(
        imp(
            "inspectors",
            "i.csv",
            csv_bytes(INS, [["Z1", "张", "", "2030-01-01", "是"], ["Ｚ1", "李", "", "2030-01-01", "是"]]),
        ),
        ("{file}", "row 3", "执法证号", "already in row 2"),
    ),
    # --- dates, enumerations, numbers in cells
    "date_feb_30": Case(
        imp("inspectors", "i.csv", csv_bytes(INS, [["Z1", "张", "", "2026-02-30", "是"]])),
        ("{file}", "row 2", "执法证有效期至", "no such day"),
    ),
    "date_month_13": Case(
        imp("history", "h.csv", csv_bytes(["uscc", "date", "kind"], [[U1, "2026-13-01", "random"]])),
        ("{file}", "row 2", "date", "no such day"),
    ),
    "date_text": Case(
        imp("positive-list", "p.csv", csv_bytes(["uscc", "start"], [[U1, "soon"]])),
        ("{file}", "row 2", "start", "2026-12-01"),
    ),
    "end_before_start": Case(
        imp(
            "positive-list", "p.csv", csv_bytes(["uscc", "start", "end"], [[U1, "2026-05-01", "2026-04-30"]])
        ),
        ("{file}", "row 2", "end", "before it starts"),
    ),
    "unknown_credit": Case(
        imp("enterprises", "e.csv", ent([U1, "甲", "荷塘区", "purple"], header=[*ENT, "环境信用等级"])),
        ("{file}", "row 3", "环境信用等级", "purple"),
    ),
    "unknown_kind": Case(
        imp("history", "h.csv", csv_bytes(["uscc", "date", "kind"], [[U1, "2025-01-01", "例行"]])),
        ("{file}", "row 2", "kind", "例行"),
    ),
    "bad_boolean": Case(
        imp("inspectors", "i.csv", csv_bytes(INS, [["Z1", "张", "", "2030-01-01", "也许"]])),
        ("{file}", "row 2", "在岗", "也许"),
    ),
    "missing_required_cell": Case(
        imp("conflicts", "c.csv", csv_bytes(["执法证号", "统一社会信用代码"], [["", U1]])),
        ("{file}", "row 2", "执法证号", "required"),
    ),
    "enormous_cell": Case(
        imp("enterprises", "e.csv", ent([U1, "甲" * 50_000, "荷塘区"])),
        ("{file}", "row 3", "50,000 characters"),
    ),
    "enormous_cell_xlsx": Case(
        imp("inspectors", "i.xlsx", lambda: xlsx_bytes(INS, [["Z1", "张" * 20_000, "", "2030-01-01", "是"]])),
        ("{file}", "B2", "20,000 characters"),
    ),
    # --- the policy file
    "policy_team_size_negative": Case(policy("team_size = -1\n"), ("policy.toml", "team_size", "-1")),
    "policy_max_per_inspector_text": Case(
        policy('max_per_inspector = "many"\n'), ("policy.toml", "max_per_inspector", "many")
    ),
    "policy_unknown_key": Case(policy("team_sise = 2\n"), ("policy.toml", "unknown key", "team_sise")),
    "policy_zero_weight": Case(
        policy('[credit_weight]\ngreen = "0"\nblue = "1"\nyellow = "2"\nred = "3"\nblack = "4"\n'),
        ("policy.toml", "credit_weight.green", "positive"),
    ),
    "policy_ratio_text": Case(
        policy(
            '[strata.key]\nratio = "a quarter"\n[strata.general]\nratio = "0.05"\n'
            "[strata.special]\nfull_coverage = true\n"
        ),
        ("policy.toml", "strata.key.ratio"),
    ),
    "policy_ratio_above_one": Case(
        policy(
            '[strata.key]\nratio = "1.5"\n[strata.general]\nratio = "0.05"\n'
            "[strata.special]\nfull_coverage = true\n"
        ),
        ("policy.toml", "strata.key.ratio"),
    ),
    "policy_not_toml": Case(policy("team_size = = 2\n"), ("policy.toml", "not valid TOML")),
    "policy_missing_file": Case(
        const(
            "draw", "--period", "2026-11", "--seed", SEED, "--policy", "{tmp}/nope.toml", "--out", "{tmp}/out"
        ),
        ("nope.toml", "cannot read"),
    ),
    # --- results import
    "results_foreign_uscc": Case(
        results(lambda b: [[U1, _today(), "未发现问题", "", ""]]), ("results.csv", "row 2", U1, "not one of")
    ),
    "results_future_date": Case(
        results(lambda b: [[b.drawn[-1], "2099-01-01", "未发现问题", "", ""]]),
        ("results.csv", "row 2", "2099-01-01", "future"),
    ),
    "results_feb_30": Case(
        results(lambda b: [[b.drawn[-1], "2026-02-30", "未发现问题", "", ""]]),
        ("results.csv", "row 2", "检查日期", "no such day"),
    ),
    "results_empty_result": Case(
        results(lambda b: [[b.drawn[-1], _today(), "", "", ""]]),
        ("results.csv", "row 2", "检查结果", "required"),
    ),
    "results_unknown_inspector": Case(
        results(lambda b: [[b.drawn[-1], _today(), "未发现问题", "", "NOBODY1;NOBODY2"]]),
        ("results.csv", "row 2", "NOBODY1"),
    ),
    "results_duplicate_uscc": Case(
        results(
            lambda b: [
                [b.drawn[-1], _today(), "未发现问题", "", ""],
                [b.drawn[-1].lower(), _today(), "责令改正", "", ""],
            ]
        ),
        ("results.csv", "row 3", "already in row 2"),
    ),
    "results_missing_draw": Case(
        results(lambda b: [[b.drawn[-1], _today(), "未发现问题", "", ""]], draw_id=999),
        ("draw 999", "does not exist"),
    ),
    "results_utf16": Case(results("统一社会信用代码,检查日期\n".encode("utf-16")), ("results.csv", "UTF-16")),
    # --- the command line
    "seed_with_pipe": Case(draw_args(seed="2026|1201"), ("seed", "'|'")),
    "seed_with_control_char": Case(draw_args(seed="2026\x071201"), ("seed", "control character")),
    "seed_with_newline": Case(draw_args(seed="2026\n1201"), ("seed", "control character")),
    "seed_too_long": Case(draw_args(seed="1" * 201), ("seed", "201")),
    "seed_empty": Case(draw_args(seed=""), ("seed", "0")),
    "period_month_13": Case(draw_args(period="2026-13"), ("2026-13", "month")),
    "period_garbage": Case(draw_args(period="December"), ("December", "YYYY-MM")),
    "period_q5": Case(draw_args(period="2026-Q5"), ("2026-Q5", "YYYY-Qn")),
    "filter_unknown_field": Case(draw_args("--filter", "colour=red"), ("colour", "unknown field")),
    "filter_bad_value": Case(draw_args("--filter", "credit=purple"), ("purple", "credit")),
    "filter_no_equals": Case(draw_args("--filter", "district"), ("--filter", "FIELD=VALUE")),
    "filter_matches_nothing": Case(draw_args("--filter", "district=火星区"), ("frame is empty",)),
    "plan_missing": Case(
        const("draw", "--plan", "999", "--period", "2026-11", "--seed", SEED, "--out", "{tmp}/out"),
        ("plan 999", "does not exist"),
    ),
    "plan_with_policy": Case(
        const(
            "draw", "--plan", "1", "--period", "2026-11", "--seed", SEED, "--task", "x", "--out", "{tmp}/out"
        ),
        ("--plan",),
        code=2,
    ),
    "draw_out_not_empty": Case(existing_out, ("taken", "already exists")),
    "draw_missing_seed": Case(
        const("draw", "--period", "2026-11", "--out", "{tmp}/out"), ("--seed",), code=2
    ),
    "draw_plan_not_a_number": Case(
        const("draw", "--plan", "one", "--period", "2026-11", "--seed", SEED, "--out", "{tmp}/out"),
        ("--plan", "one"),
        code=2,
    ),
    "verify_without_manifest": Case(no_manifest, ("folder", "no manifest.json")),
    "verify_missing_folder": Case(const("verify", "{tmp}/nowhere"), ("nowhere",), code=2),
    "export_missing_draw": Case(
        const("export", "--draw", "999", "--out", "{tmp}/out"), ("draw 999", "does not exist")
    ),
    "publish_missing_draw": Case(
        const("publish", "--draw", "999", "--out", "{tmp}/out"), ("draw 999", "does not exist")
    ),
    "publish_bad_format": Case(
        lambda tmp, b: [
            "publish",
            "--draw",
            str(b.draw_id),
            "--out",
            str(tmp / "out"),
            "--format",
            "pdf",
            "--allow-partial",
        ],
        ("pdf", "xlsx"),
        code=2,
    ),
    "import_missing_file": Case(const("import", "enterprises", "{tmp}/nope.csv"), ("nope.csv",), code=2),
    "import_unknown_kind": Case(const("import", "firms", "{tmp}/nope.csv"), ("firms",), code=2),
    "unknown_command": Case(const("frobnicate"), ("frobnicate",), code=2),
    # --- issue 9: text rules (SPEC §9)
    "inspector_id_with_semicolon": Case(
        imp("inspectors", "i.csv", csv_bytes(INS, [["A0;B0", "张", "", "2030-01-01", "是"]])),
        ("{file}", "row 2", "执法证号", "may not contain ';'"),
    ),
    "inspector_id_fullwidth_semicolon": Case(
        imp("inspectors", "i.csv", csv_bytes(INS, [["Ａ０；Ｂ０", "张", "", "2030-01-01", "是"]])),
        ("{file}", "row 2", "A0;B0", "may not contain ';'"),
    ),
    "inspector_id_with_space": Case(
        imp("conflicts", "c.csv", csv_bytes(["执法证号", "统一社会信用代码"], [["A0 B0", U1]])),
        ("{file}", "row 2", "spaces"),
    ),
    "results_inspector_ids_with_space": Case(
        results(lambda b: [[b.drawn[-1], _today(), "未发现问题", "", "ZZ4302000000 ZZ4302000001"]]),
        ("results.csv", "row 2", "spaces"),
    ),
    "esc_in_firm_name": Case(
        imp("enterprises", "e.csv", ent([U1, "甲\x1b[31m公司", "荷塘区"])), ("{file}", "row 3", "U+001B"),
    ),
    "zero_width_space_in_district": Case(
        imp("enterprises", "e.csv", ent([U1, "甲公司", "荷塘区\u200b"])), ("{file}", "row 3", "U+200B"),
    ),
    "zero_width_joiner_in_xlsx_cell": Case(
        imp("enterprises", "e.xlsx", lambda: xlsx_bytes(ENT, [GOOD_ENT, [U1, "甲\u200d公司", "荷塘区"]])),
        ("{file}", "B3", "U+200D"),
    ),
    "vertical_tab_in_conflict_reason": Case(
        imp("conflicts", "c.csv", csv_bytes(["执法证号", "统一社会信用代码", "回避原因"], [["A1", U1, "亲属\x0b关系"]])),
        ("{file}", "row 2", "U+000B"),
    ),
    "bel_in_results_measures": Case(
        results(lambda b: [[b.drawn[-1], _today(), "责令改正", "罚款\x07", ""]]), ("results.csv", "row 2", "U+0007"),
    ),
    "line_break_in_firm_name": Case(
        imp("enterprises", "e.csv", ent([U1, '"甲\n公司"', "荷塘区"])), ("{file}", "row 3", "line break"),
    ),
    "mixed_encodings": Case(
        imp("enterprises", "e.csv", mixed_encoding_csv()), ("{file}", "mixes encodings", "line(s) 3", "UTF-8"),
    ),
    "xlsx_dimension_bomb": Case(
        imp("enterprises", "e.xlsx", dimension_bomb_xlsx), ("{file}", "row 1048576", "XFD", "1,000 columns"),
    ),
    "xlsx_shared_strings_bomb": Case(
        imp("enterprises", "e.xlsx", shared_strings_bomb_xlsx), ("{file}", "sharedStrings.xml", "zip bomb"),
    ),
    # --- issue 9: plans, redraws and task names (SPEC §7)
    "redraw_without_reason": Case(draw_args(period="2026-12"), ("REDRAW", "--reason", "nothing was recorded")),
    "redraw_by_lookalike_task_without_reason": Case(
        draw_args("--task", "\u2f47常双随机抽查", period="2026-12"), ("REDRAW", "--reason"),
    ),
    "task_with_zero_width_space": Case(
        draw_args("--task", "日常双随机抽查\u200b", "--reason", "x", period="2026-12"), ("task name", "U+200B"),
    ),
    "task_forging_a_ledger_line": Case(
        draw_args("--task", "x\n#9 2026-12-01T00:00:00Z draw 9 2026-12 FAKE"), ("task name", "U+000A"),
    ),
    "reason_with_escape": Case(draw_args("--reason", "a\x1b[2Jb", period="2026-12"), ("--reason", "U+001B")),
    "plan_already_used": Case(
        const("draw", "--plan", "1", "--period", "2026-12", "--seed", SEED, "--reason", "x", "--out", "{tmp}/out"),
        ("plan 1 was already used by draw 1",),
    ),
    "plan_show_missing": Case(const("plan", "show", "999"), ("plan 999", "does not exist")),
    "plan_list_with_period": Case(const("plan", "--period", "2026-12", "list"), ("plan list",), code=2),
    # --- issue 9: files and verification (SPEC §9)
    "out_is_a_symlink": Case(out_symlink, ("symbolic link",)),
    "out_is_dot_dot": Case(const("draw", "--period", "2026-11", "--seed", SEED, "--out", ".."), ("--out", "'..'")),
    "ledger_verify_unknown_head": Case(const("ledger", "verify", "--head", "0" * 64), ("is not in the ledger",)),
}


def invoke(url: str, args: list[str]) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args])


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_refused_cleanly_and_changes_nothing(base: Base, tmp_path: Path, name: str) -> None:
    case = CASES[name]
    args = case.args(tmp_path, base)
    before = dump(base.url)
    result = invoke(base.url, args)
    after = dump(base.url)
    out = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{name}: unexpected {type(result.exception).__name__}: {result.exception}\n{out}"
    )
    assert "Traceback" not in out
    assert result.exit_code == case.code, out
    file_args = [a for a in args if "/" in a and Path(a).suffix]
    for fragment in case.fragments:
        want = fragment.replace("{file}", file_args[0] if file_args else "")
        assert want in out, f"{name}: {want!r} not in:\n{out}"
    assert before == after, f"{name} changed the database: {diff(before, after)}"
    assert not (tmp_path / "out").exists(), f"{name} left an output folder"
    assert not list(tmp_path.glob(".out.*")), f"{name} left a staging folder"


def test_the_catalogue_is_big_enough() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("make", [dimension_bomb_xlsx, shared_strings_bomb_xlsx])
def test_xlsx_bombs_are_refused_in_seconds(sqlite_url: str, tmp_path: Path, make: Callable[[], bytes]) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(make())
    assert path.stat().st_size < 500_000  # the bomb was 418 KB
    start = time.monotonic()
    r = invoke(sqlite_url, ["import", "enterprises", str(path)])
    elapsed = time.monotonic() - start
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert elapsed < 15, f"took {elapsed:.1f} s"  # was > 120 s before issue 9


# ---------------------------------------------------------------------------- accept what the user means


@pytest.mark.parametrize("spelling", ["lower", "fullwidth", "spaced", "fullwidth_lower"])
def test_lower_case_and_full_width_codes_are_imported_normalised(
    db_url: str, tmp_path: Path, spelling: str
) -> None:
    code = uscc_mod.make("91430200MA4LABCD1")
    typed = {
        "lower": code.lower(),
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in code),
        "spaced": f" {code[:6]} {code[6:]} ",
        "fullwidth_lower": "".join(chr(ord(c) + 0xFEE0) for c in code.lower()),
    }[spelling]
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes(ENT, [[typed, "甲公司", "荷塘区"]]))
    r = invoke(db_url, ["import", "enterprises", str(path)])
    assert r.exit_code == 0, r.output
    cpath = tmp_path / "c.csv"
    cpath.write_bytes(csv_bytes(["执法证号", "统一社会信用代码"], [["Ａ１", typed]]))
    r = invoke(db_url, ["import", "conflicts", str(cpath)])
    assert r.exit_code == 0, r.output
    with Session(get_engine(db_url)) as s:
        assert [e.uscc for e in s.exec(select(Enterprise))] == [code]
        assert [(c.inspector_id, c.uscc) for c in s.exec(select(ConflictEntry))] == [("A1", code)]


def test_full_width_seed_is_refused_or_kept_exactly(sqlite_url: str, tmp_path: Path) -> None:
    """A seed is bytes: never normalised behind the user's back (SPEC §1 'exact UTF-8 bytes')."""
    small_pool(get_engine(sqlite_url))
    seed = "２０２６１２０１"
    r = invoke(sqlite_url, ["draw", "--period", "2026-12", "--seed", seed, "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    with Session(get_engine(sqlite_url)) as s:
        assert s.exec(select(Draw)).one().seed == seed


# ---------------------------------------------------------------------------- a failed draw keeps its secret


INFEASIBLE = """\
max_per_inspector = 1
[strata.key]
ratio = "1"
[strata.general]
ratio = "1"
[strata.special]
full_coverage = true
"""


def test_failed_draw_after_sampling_never_prints_the_sample(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    with Session(engine) as s:
        firms = [(e.uscc, e.name, e.address) for e in s.exec(select(Enterprise))]
        inspectors = [(i.inspector_id, i.name) for i in s.exec(select(Inspector))]
    pol = tmp_path / "p.toml"
    pol.write_text(INFEASIBLE, encoding="utf-8")
    before = dump(db_url)
    r = invoke(
        db_url,
        ["draw", "--period", "2026-12", "--seed", SEED, "--policy", str(pol), "--out", str(tmp_path / "o")],
    )
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "max_per_inspector" in r.output or "inspector" in r.output, r.output
    for code, name, address in firms:
        assert code not in r.output and code.lower() not in r.output, "a drawn firm's code leaked"
        assert name not in r.output and address not in r.output, "a drawn firm's name leaked"
    for iid, iname in inspectors:
        assert iid not in r.output and iname not in r.output, "an inspector leaked"
    assert dump(db_url) == before
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.*"))


def test_draw_into_existing_folder_fails_before_sampling_and_says_nothing_drawn(
    db_url: str, tmp_path: Path
) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("keep", encoding="utf-8")
    before = dump(db_url)
    r = invoke(db_url, ["draw", "--period", "2026-12", "--seed", SEED, "--out", str(taken)])
    assert r.exit_code == 1
    with Session(engine) as s:
        for e in s.exec(select(Enterprise)):
            assert e.uscc not in r.output and e.name not in r.output
        assert s.exec(select(DrawFirm)).first() is None
    assert dump(db_url) == before
    assert [p.name for p in taken.iterdir()] == ["x"]
