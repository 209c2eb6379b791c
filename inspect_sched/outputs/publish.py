"""The public result sheet (一公开) of a draw: CSV, XLSX and HTML.

What it shows, and nothing more (SPEC §6): per inspected firm 序号, 抽查任务, 抽查事项,
抽查对象名称, 统一社会信用代码, 检查日期, 检查人员（姓名、执法证号）, 检查结果, 处理措施;
above the table the period, the seed, the SHA-256 of the draw's manifest and whether the
draw is a redraw (and of which draw). Everything is built from an explicit allow-list of
fields, so weights, probabilities, credit and risk grades, addresses and districts cannot
leak in by accident.

Decisions:

* Rows are sorted by 统一社会信用代码: unique and stable, so two publications of the same
  results are identical, and the order reveals nothing about the draw (the internal sheets
  are in ticket order). Sorting Chinese names by code point would look random anyway.
* The CSV has the same layout as the XLSX sheet, which is what Excel users expect: the
  title and the header facts as single-cell lines at the top, one empty line, then the
  table header and rows. UTF-8 with a BOM, so Excel detects the encoding; ``\\r\\n`` line
  ends. A program reading it skips to the line starting with ``序号``.
* The drawn list is secret until the on-site check (DOMAIN, "Confidentiality"). So
  ``--allow-partial`` publishes the firms that HAVE results and states only how many are
  still pending; it never names a firm before it was inspected. Without results for every
  drawn firm, ``publish`` refuses.
* The outputs carry no generation time: the same results give the same bytes, so a
  published file can be checked against a later re-publication.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.core.inputs import split_list
from inspect_sched.errors import InspectSchedError
from inspect_sched.io.fsutil import write_atomic
from inspect_sched.io.xlsx import Sheet, xlsx_bytes
from inspect_sched.outputs.formats import FORMATS, PublicFormat
from inspect_sched.schema.periods import parse_period
from inspect_sched.store.models import DrawFile, Result
from inspect_sched.store.queries import current_firms, firm_modes, inspector_names, item_summary, require_draw

PUBLIC_COLUMNS = [
    "序号", "抽查任务", "抽查事项", "抽查对象名称", "统一社会信用代码", "检查日期",
    "检查人员（姓名、执法证号）", "检查结果", "处理措施",
]
# With off-site (or documents) checks in the draw, 检查方式 follows 抽查事项.
MODE_COLUMNS = [*PUBLIC_COLUMNS[:3], "检查方式", *PUBLIC_COLUMNS[3:]]
_COLUMN_WIDTHS = [6, 22, 40, 36, 22, 12, 44, 16, 36]


@dataclass(frozen=True)
class PublicSheet:
    title: str
    facts: list[str]  # header lines above the table
    rows: list[list[str]]
    columns: list[str] = field(default_factory=lambda: list(PUBLIC_COLUMNS))


def period_text(label: str) -> str:
    """``2026-12`` -> ``2026年12月``; ``2026-Q4`` -> ``2026年第4季度``."""
    p = parse_period(label)
    if "Q" in p.label:
        return f"{p.year}年第{p.label[-1]}季度"
    return f"{p.year}年{p.first_day.month}月"


def check_formats(formats: Iterable[PublicFormat | str]) -> tuple[PublicFormat, ...]:
    """The formats, each once in the order given; an unknown one is an error naming the accepted."""
    out: list[PublicFormat] = []
    for f in formats:
        try:
            fmt = PublicFormat(f)
        except ValueError:
            raise InspectSchedError(f"unknown format {f!r}; use any of {', '.join(FORMATS)}") from None
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise InspectSchedError(f"no format given; use any of {', '.join(FORMATS)}")
    return tuple(out)


def _team(ids: str, names: dict[str, str]) -> str:
    return "、".join(f"{names[i]}（{i}）" if names.get(i) else i for i in split_list(ids))


def build_sheet(session: Session, draw_id: int, allow_partial: bool = False) -> PublicSheet:
    draw = require_draw(session, draw_id)
    everyone = sorted(current_firms(session, draw_id), key=lambda f: f.uscc)
    results = {r.uscc: r for r in session.exec(select(Result).where(Result.draw_id == draw_id))}
    # A firm removed after the draw (SPEC §7) is listed only with its own result, if any
    # (e.g. 已关闭或停产); it is never pending, its replacement is.
    firms = [f for f in everyone if f.status != "removed" or f.uscc in results]
    pending = [f for f in firms if f.uscc not in results]
    if pending and not allow_partial:
        shown = ", ".join(f.uscc for f in pending[:5]) + (" …" if len(pending) > 5 else "")
        recorded = len(firms) - len(pending)
        raise InspectSchedError(
            f"draw {draw_id}: results are recorded for {recorded} of {len(firms)} drawn firms "
            f"(missing: {shown}). Import them first, or publish the inspected firms only (allow_partial)",
            hint="results_missing", draw_id=draw_id, recorded=recorded, drawn=len(firms), shown=shown,
        )
    manifest_file = session.get(DrawFile, (draw_id, "manifest.json"))
    manifest = json.loads(manifest_file.content) if manifest_file is not None else {}
    items = "、".join(manifest.get("policy", {}).get("items", []))
    per_item = item_summary(session, draw_id)
    modes = firm_modes(session, draw_id)
    # The mode column only when some firm is not checked on site: plain sheets keep their bytes.
    show_mode = any(m != "现场" for m in modes.values())
    done = [f for f in firms if f.uscc in results]
    names = inspector_names(session, draw_id, {i for f in done for i in split_list(results[f.uscc].inspector_ids)})
    by_uscc = {f.uscc: f for f in everyone}
    rows = []
    for n, f in enumerate(done, start=1):
        r = results[f.uscc]
        name = f.name
        if f.replaces:
            name += f"（补充抽取，替代 {by_uscc[f.replaces].name if f.replaces in by_uscc else f.replaces}）"
        row = [str(n), draw.task, per_item.get(f.uscc, items), name, f.uscc, r.date.isoformat(),
               _team(r.inspector_ids, names), r.result, r.measures or ""]
        if show_mode:
            row.insert(3, modes.get(f.uscc, "现场"))
        rows.append(row)
    p = parse_period(draw.period)
    facts = [
        f"抽查期间：{period_text(draw.period)}（{p.first_day.isoformat()} 至 {p.last_day.isoformat()}）",
        f"抽查任务：{draw.task}",
        f"抽取编号：第 {draw.id} 号（抽取账本第 {draw.sequence} 条）",
        f"随机种子：{draw.seed}",
        f"抽取记录（manifest.json）SHA-256：{draw.manifest_sha256}",
        f"是否重新抽取：是，取代第 {draw.redraw_of} 号抽取" if draw.redraw_of else "是否重新抽取：否",
    ]
    departments = manifest.get("departments", [])
    if len(departments) > 1:
        facts.append("联合抽查部门（检查实施机关）：" + "；".join(
            f"{d}（{'、'.join(u) or '—'}）" for d, u in _units(session, draw_id, departments).items()))
    if draw.superseded_by:
        facts.append(f"说明：本次抽取已被第 {draw.superseded_by} 号抽取取代，本表仅列已完成检查的对象。")
    if pending:
        facts.append(f"说明：本表为阶段性公示，已检查 {len(done)} 家；其余 {len(pending)} 家检查完成后另行公示。")
    title = f"{period_text(draw.period)} 生态环境“双随机、一公开”抽查结果公示"
    return PublicSheet(title, facts, rows, MODE_COLUMNS if show_mode else PUBLIC_COLUMNS)


def _units(session: Session, draw_id: int, departments: list[str]) -> dict[str, list[str]]:
    """Each department of a joint task and the units its drawn inspectors belong to (frozen pool)."""
    f = session.get(DrawFile, (draw_id, "inputs/inspectors.csv"))
    pool = list(csv.DictReader(io.StringIO(f.content.decode("utf-8")))) if f is not None else []
    used = {i for d in current_firms(session, draw_id) for i in split_list(d.inspector_ids)}
    out: dict[str, set[str]] = {d: set() for d in departments}
    for r in pool:
        if r["inspector_id"] in used and r["department"] in out and r.get("unit"):
            out[r["department"]].add(r["unit"])
    return {d: sorted(u) for d, u in out.items()}


def csv_bytes(sheet: PublicSheet) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([sheet.title])
    for line in sheet.facts:
        w.writerow([line])
    w.writerow([])
    w.writerow(sheet.columns)
    w.writerows(sheet.rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def xlsx_sheet_bytes(sheet: PublicSheet) -> bytes:
    widths = _COLUMN_WIDTHS if sheet.columns == PUBLIC_COLUMNS else [*_COLUMN_WIDTHS[:3], 10, *_COLUMN_WIDTHS[3:]]
    return xlsx_bytes([Sheet(title="抽查结果公示", header=sheet.columns, rows=sheet.rows,
                             preamble=[sheet.title, *sheet.facts], column_widths=widths)])


_CSS = """
body { font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "SimSun", sans-serif;
       margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #111; }
h1 { font-size: 1.4em; text-align: center; margin-bottom: 0.8em; }
ul.facts { list-style: none; padding: 0; margin: 0 0 1em; font-size: 0.9em; }
ul.facts li { margin: 0.15em 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #444; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
td.n { text-align: right; white-space: nowrap; }
td.code, td.date { white-space: nowrap; font-family: monospace, monospace; }
tbody tr:nth-child(even) { background: #f7f7f7; }
p.empty { text-align: center; color: #555; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  th { background: none; }
  tbody tr:nth-child(even) { background: none; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; }
  @page { size: A4 landscape; margin: 12mm; }
}
"""

_CELL_CLASS = {0: "n", 4: "code", 5: "date"}
_MODE_CELL_CLASS = {0: "n", 5: "code", 6: "date"}


def _cells(tag: str, values: Iterable[str], classes: dict[int, str] | None = None) -> str:
    parts = []
    for i, v in enumerate(values):
        cls = (classes or {}).get(i)
        attr = f' class="{cls}"' if cls else ""
        parts.append(f"<{tag}{attr}>{html.escape(v)}</{tag}>")
    return "".join(parts)


def html_bytes(sheet: PublicSheet) -> bytes:
    e = html.escape
    lines = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(sheet.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(sheet.title)}</h1>",
        '<ul class="facts">',
        *(f"<li>{e(line)}</li>" for line in sheet.facts),
        "</ul>",
        "<table>",
        f"<thead><tr>{_cells('th', sheet.columns)}</tr></thead>",
        "<tbody>",
        *(f"<tr>{_cells('td', row, _CELL_CLASS if sheet.columns == PUBLIC_COLUMNS else _MODE_CELL_CLASS)}</tr>"
          for row in sheet.rows),
        "</tbody>",
        "</table>",
    ]
    if not sheet.rows:
        lines.append('<p class="empty">暂无已完成检查的对象。</p>')
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")


_RENDER = {PublicFormat.CSV: csv_bytes, PublicFormat.XLSX: xlsx_sheet_bytes, PublicFormat.HTML: html_bytes}


def publish(engine: Engine, draw_id: int, out: str | Path, formats: Iterable[PublicFormat | str] = FORMATS,
            allow_partial: bool = False) -> list[Path]:
    """Write ``public-draw-<id>.<fmt>`` for each format into ``out``; return the paths."""
    wanted = check_formats(formats)
    with Session(engine) as session:
        sheet = build_sheet(session, draw_id, allow_partial)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InspectSchedError(f"{out}: exists and is not a folder; give a folder", hint="out_not_folder", out=out)
    # Render everything before writing anything, so a failure leaves the folder as it was.
    rendered = {f: _RENDER[f](sheet) for f in wanted}
    paths = []
    for fmt, data in rendered.items():
        path = out / f"public-draw-{draw_id}.{fmt}"
        write_atomic(path, data)  # 0644: this is the public document
        paths.append(path)
    return paths
