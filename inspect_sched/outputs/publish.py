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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.core.inputs import split_list
from inspect_sched.errors import InspectSchedError, NotFoundError
from inspect_sched.io.fsutil import write_atomic
from inspect_sched.io.xlsx import Sheet, xlsx_bytes
from inspect_sched.schema.periods import parse_period
from inspect_sched.services.amend import current_firms
from inspect_sched.services.results import inspector_names
from inspect_sched.store.models import Draw, DrawFile, Result

PUBLIC_COLUMNS = [
    "序号", "抽查任务", "抽查事项", "抽查对象名称", "统一社会信用代码", "检查日期",
    "检查人员（姓名、执法证号）", "检查结果", "处理措施",
]
FORMATS = ("xlsx", "csv", "html")
_COLUMN_WIDTHS = [6, 22, 40, 36, 22, 12, 44, 16, 36]


@dataclass(frozen=True)
class PublicSheet:
    title: str
    facts: list[str]  # header lines above the table
    rows: list[list[str]]


def period_text(label: str) -> str:
    """``2026-12`` -> ``2026年12月``; ``2026-Q4`` -> ``2026年第4季度``."""
    p = parse_period(label)
    if "Q" in p.label:
        return f"{p.year}年第{p.label[-1]}季度"
    return f"{p.year}年{p.first_day.month}月"


def parse_formats(text: str | Sequence[str]) -> list[str]:
    """``xlsx,csv`` -> ["xlsx", "csv"]; unknown names are an error saying what is accepted."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for p in (p.strip().lower() for p in parts):
        if not p:
            continue
        if p not in FORMATS:
            raise InspectSchedError(f"unknown format {p!r}; use any of {', '.join(FORMATS)} (comma-separated)")
        if p not in out:
            out.append(p)
    if not out:
        raise InspectSchedError(f"no format given; use any of {', '.join(FORMATS)}")
    return out


def _team(ids: str, names: dict[str, str]) -> str:
    return "、".join(f"{names[i]}（{i}）" if names.get(i) else i for i in split_list(ids))


def build_sheet(session: Session, draw_id: int, allow_partial: bool = False) -> PublicSheet:
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFoundError(f"draw {draw_id} does not exist; `inspect-sched ledger list` shows the draws")
    everyone = sorted(current_firms(session, draw_id), key=lambda f: f.uscc)
    results = {r.uscc: r for r in session.exec(select(Result).where(Result.draw_id == draw_id))}
    # A firm removed after the draw (SPEC §7) is listed only with its own result, if any
    # (e.g. 已关闭或停产); it is never pending, its replacement is.
    firms = [f for f in everyone if f.status != "removed" or f.uscc in results]
    pending = [f for f in firms if f.uscc not in results]
    if pending and not allow_partial:
        shown = ", ".join(f.uscc for f in pending[:5]) + (" …" if len(pending) > 5 else "")
        raise InspectSchedError(
            f"draw {draw_id}: results are recorded for {len(firms) - len(pending)} of {len(firms)} drawn firms "
            f"(missing: {shown}). Import them with `inspect-sched results import FILE --draw {draw_id}`, "
            "or publish the inspected firms only with --allow-partial"
        )
    manifest_file = session.get(DrawFile, (draw_id, "manifest.json"))
    manifest = json.loads(manifest_file.content) if manifest_file is not None else {}
    items = "、".join(manifest.get("policy", {}).get("items", []))
    done = [f for f in firms if f.uscc in results]
    names = inspector_names(session, draw_id, {i for f in done for i in split_list(results[f.uscc].inspector_ids)})
    by_uscc = {f.uscc: f for f in everyone}
    rows = []
    for n, f in enumerate(done, start=1):
        r = results[f.uscc]
        name = f.name
        if f.replaces:
            name += f"（补充抽取，替代 {by_uscc[f.replaces].name if f.replaces in by_uscc else f.replaces}）"
        rows.append([str(n), draw.task, items, name, f.uscc, r.date.isoformat(),
                     _team(r.inspector_ids, names), r.result, r.measures or ""])
    p = parse_period(draw.period)
    facts = [
        f"抽查期间：{period_text(draw.period)}（{p.first_day.isoformat()} 至 {p.last_day.isoformat()}）",
        f"抽查任务：{draw.task}",
        f"抽取编号：第 {draw.id} 号（抽取账本第 {draw.sequence} 条）",
        f"随机种子：{draw.seed}",
        f"抽取记录（manifest.json）SHA-256：{draw.manifest_sha256}",
        f"是否重新抽取：是，取代第 {draw.redraw_of} 号抽取" if draw.redraw_of else "是否重新抽取：否",
    ]
    if draw.superseded_by:
        facts.append(f"说明：本次抽取已被第 {draw.superseded_by} 号抽取取代，本表仅列已完成检查的对象。")
    if pending:
        facts.append(f"说明：本表为阶段性公示，已检查 {len(done)} 家；其余 {len(pending)} 家检查完成后另行公示。")
    title = f"{period_text(draw.period)} 生态环境“双随机、一公开”抽查结果公示"
    return PublicSheet(title, facts, rows)


def csv_bytes(sheet: PublicSheet) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([sheet.title])
    for line in sheet.facts:
        w.writerow([line])
    w.writerow([])
    w.writerow(PUBLIC_COLUMNS)
    w.writerows(sheet.rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def xlsx_sheet_bytes(sheet: PublicSheet) -> bytes:
    return xlsx_bytes([Sheet(title="抽查结果公示", header=PUBLIC_COLUMNS, rows=sheet.rows,
                             preamble=[sheet.title, *sheet.facts], column_widths=_COLUMN_WIDTHS)])


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
        f"<thead><tr>{_cells('th', PUBLIC_COLUMNS)}</tr></thead>",
        "<tbody>",
        *(f"<tr>{_cells('td', row, _CELL_CLASS)}</tr>" for row in sheet.rows),
        "</tbody>",
        "</table>",
    ]
    if not sheet.rows:
        lines.append('<p class="empty">暂无已完成检查的对象。</p>')
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")


_RENDER = {"csv": csv_bytes, "xlsx": xlsx_sheet_bytes, "html": html_bytes}


def publish(engine: Engine, draw_id: int, out: str | Path, formats: str | Sequence[str] = FORMATS,
            allow_partial: bool = False) -> list[Path]:
    """Write ``public-draw-<id>.<fmt>`` for each format into ``out``; return the paths."""
    wanted = parse_formats(formats)
    with Session(engine) as session:
        sheet = build_sheet(session, draw_id, allow_partial)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InspectSchedError(f"{out}: exists and is not a folder; give a folder for --out")
    # Render everything before writing anything, so a failure leaves the folder as it was.
    rendered = {f: _RENDER[f](sheet) for f in wanted}
    paths = []
    for fmt, data in rendered.items():
        path = out / f"public-draw-{draw_id}.{fmt}"
        write_atomic(path, data)  # 0644: this is the public document
        paths.append(path)
    return paths
