"""The public result sheet (一公开) of a draw: CSV, XLSX, HTML and a JSON sidecar.

What it shows, and nothing more (SPEC §6, §8): per inspected firm 序号, 抽查任务,
检查实施机关, 抽查事项, 抽查对象名称, 统一社会信用代码, 检查日期, 检查人员（姓名、执法证号）,
检查结果, 处理措施; in its header the period, the seed, the SHA-256 of the draw's manifest,
whether the draw is a redraw, the authority and the publication date. Everything is built
from an explicit allow-list of fields (``PublicRow``), so weights, probabilities, credit and
risk grades, addresses and districts cannot leak in by accident.

Structure: ``build_sheet`` turns the database into a ``PublicSheet`` (facts + rows); one
writer per format turns a sheet into bytes; ``publish`` records a version and writes files.

Decisions:

* Publication as results arrive (SPEC §8): each run names exactly the firms that have a
  result, never a pending one (the drawn list is secret until the on-site check), and
  states only how many are still pending. A run whose sheet would equal the latest
  version (same rows and facts) makes no new version: it writes that version again.
* Versions: ``public-draw-N-vK.*`` is version K as published; ``public-draw-N.*`` is the
  latest version (the same bytes), for a web page that links one fixed name. Each version is
  a ledger entry (kind ``publish``) holding the SHA-256 of every file written.
* Rows are sorted by 统一社会信用代码: unique and stable, and the order reveals nothing about
  the draw (the internal sheets are in ticket order).
* The CSV is for machines: one header row, then the rows (UTF-8 with BOM for Excel,
  ``\\r\\n``); the header facts go to ``public-draw-N.json``. The XLSX keeps the title and
  facts above the table for people, with 序号 a number and 检查日期 a date cell.
* The outputs carry no generation time, only the publication date: re-publishing the same
  version gives the same bytes, so a published file can be checked later.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inspect_sched.audit import ledger
from inspect_sched.audit.bundle import canonical_json, sha256_hex
from inspect_sched.audit.publication import files_json, publish_body
from inspect_sched.core.inputs import split_list
from inspect_sched.errors import InspectSchedError, PolicyError
from inspect_sched.io.fsutil import write_atomic
from inspect_sched.io.text import escape_row
from inspect_sched.io.xlsx import Sheet, xlsx_bytes
from inspect_sched.outputs.formats import FORMATS, PublicFormat, check_formats
from inspect_sched.schema.periods import parse_period, today_china
from inspect_sched.schema.policy import policy_from_dict
from inspect_sched.store.db import session_scope
from inspect_sched.store.models import Draw, Publication, Result
from inspect_sched.store.queries import (
    bundle_inspectors,
    current_firms,
    draw_manifest,
    firm_modes,
    inspector_names,
    item_summary,
    require_draw,
)

PUBLIC_COLUMNS = [
    "序号", "抽查任务", "检查实施机关", "抽查事项", "抽查对象名称", "统一社会信用代码", "检查日期",
    "检查人员（姓名、执法证号）", "检查结果", "处理措施",
]
_COLUMN_WIDTHS = [6, 22, 24, 40, 36, 22, 12, 44, 16, 36]


@dataclass(frozen=True)
class PublicRow:
    """One published firm: the allow-list of what the public sheet may say about it."""

    number: int
    task: str
    authority: str
    items: str
    name: str
    uscc: str
    date: dt.date
    inspectors: str
    result: str
    measures: str

    def cells(self) -> list[object]:
        """Typed cells (序号 a number, 检查日期 a date), in PUBLIC_COLUMNS order."""
        return [self.number, self.task, self.authority, self.items, self.name, self.uscc, self.date,
                self.inspectors, self.result, self.measures]

    def texts(self) -> list[str]:
        return [c.isoformat() if isinstance(c, dt.date) else str(c) for c in self.cells()]


@dataclass(frozen=True)
class PublicSheet:
    draw_id: int
    title: str
    facts: list[str]  # header lines ("label：value"), above the table for people
    header: dict[str, Any]  # the same facts for machines (public-draw-N.json)
    rows: list[PublicRow]
    pending: int  # drawn firms without a result: counted, never named
    removed: int = 0  # rows that are a removed firm's own result (not a current firm)

    @property
    def firms(self) -> list[str]:
        return [r.uscc for r in self.rows]

    def content_sha256(self) -> str:
        """The sheet apart from its version and date: equal means nothing new to publish."""
        stable = {k: v for k, v in self.header.items() if k not in ("version", "published_on")}
        return sha256_hex(canonical_json({"header": stable, "rows": [r.texts() for r in self.rows]}).encode())


def period_text(label: str) -> str:
    """``2026-12`` -> ``2026年12月``; ``2026-Q4`` -> ``2026年第4季度``."""
    p = parse_period(label)
    if "Q" in p.label:
        return f"{p.year}年第{p.label[-1]}季度"
    return f"{p.year}年{p.first_day.month}月"


def _team(ids: str, names: dict[str, str]) -> str:
    return "、".join(f"{names[i]}（{i}）" if names.get(i) else i for i in split_list(ids))


def redraw_fact(draw: Draw) -> str:
    if not draw.redraw_of:
        return "是否重新抽取：否"
    reason = f"；原因：{draw.redraw_reason}" if draw.redraw_reason else ""
    return f"是否重新抽取：是，取代第 {draw.redraw_of} 号抽取{reason}"


def _authorities(manifest: dict[str, Any]) -> list[str]:
    """检查实施机关 from the draw's own policy: one body, or each department's for a joint task."""
    raw = manifest.get("policy")
    if not isinstance(raw, dict) or "authority" not in raw:
        return []
    try:
        policy = policy_from_dict(raw)
    except PolicyError:
        return []
    return policy.authority_for(manifest.get("departments") or [])


def department_bodies(manifest: dict[str, Any], team_ids: Iterable[str],
                      frozen: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """A joint task's departments, each with its 检查实施机关: the one body the policy names for
    the whole task, or its ``[authority]`` entry for the department, else the units of its staff
    among ``team_ids`` (who did check), in the manifest's department order; units in the order
    the teams name them."""
    departments = [d for d in manifest.get("departments") or [] if isinstance(d, str)]
    raw = manifest.get("policy")
    named = raw.get("authority") if isinstance(raw, dict) else None
    units: dict[str, list[str]] = {d: [] for d in departments}
    for i in team_ids:
        row = frozen.get(i)
        if row is not None and row.get("department") in units and row.get("unit"):
            if row["unit"] not in units[row["department"]]:
                units[row["department"]].append(row["unit"])
    out = []
    for d in departments:
        if isinstance(named, str):  # one body named for the whole task
            out.append((d, named))
        elif isinstance(named, dict) and isinstance(named.get(d), str):
            out.append((d, named[d]))
        else:
            out.append((d, "、".join(units[d]) or "未设置"))
    return out


def build_sheet(session: Session, draw_id: int, version: int, published_on: dt.date) -> PublicSheet:
    """The sheet of every result recorded so far for ``draw_id``; pending firms are only counted."""
    draw = require_draw(session, draw_id)
    everyone = sorted(current_firms(session, draw_id), key=lambda f: f.uscc)
    results = {r.uscc: r for r in session.exec(select(Result).where(Result.draw_id == draw_id))}
    # A firm removed after the draw (SPEC §7) is listed only with its own result, if any
    # (e.g. 已关闭或停产); it is never pending, its replacement is.
    firms = [f for f in everyone if f.status != "removed" or f.uscc in results]
    done = [f for f in firms if f.uscc in results]
    pending = len(firms) - len(done)
    if not done:
        raise InspectSchedError(
            f"draw {draw_id}: no results recorded yet ({len(firms)} firms drawn), so there is nothing to publish; "
            "import results and publish again (firms are never named before their inspection)",
            hint="nothing_to_publish", draw_id=draw_id, drawn=len(firms),
        )
    manifest = draw_manifest(session, draw_id)
    items = "、".join(manifest.get("policy", {}).get("items", []))
    # Issue 13: a firm's item results, when recorded, replace the task's item list in its one
    # row; a firm not checked on site says how it was checked (检查方式).
    per_item = item_summary(session, draw_id)
    modes = firm_modes(session, draw_id)
    bodies = _authorities(manifest)
    teams = {f.uscc: split_list(results[f.uscc].inspector_ids) for f in done}
    names = inspector_names(session, draw_id, {i for t in teams.values() for i in t})
    # A joint task names each department's body (SPEC §8): the policy's, else the units of
    # the staff who checked; one body for all when the policy gives one string. A policy that
    # names no body at all: the units of the staff who checked, for any task, said as such.
    named = manifest.get("policy", {}).get("authority")
    is_joint = len(manifest.get("departments") or []) > 1
    per_department = is_joint or named is None
    frozen = bundle_inspectors(session, draw_id) if per_department and not isinstance(named, str) else {}
    whole = department_bodies(manifest, [i for f in done for i in teams[f.uscc]], frozen) if per_department else []
    joint = whole if is_joint else []
    if whole:
        bodies = list(dict.fromkeys(b for _, b in whole if b != "未设置"))
    authority = "、".join(bodies)
    by_uscc = {f.uscc: f for f in everyone}
    rows = []
    for n, f in enumerate(done, start=1):
        r = results[f.uscc]
        name = f.name
        if f.replaces:
            # The firm it replaces is named only when that firm's own result is on the sheet
            # too: a drawn firm without a result is never named (SPEC §8), removed or not.
            gone = by_uscc.get(f.replaces)
            name += f"（补充抽取，替代 {gone.name}）" if gone is not None and f.replaces in results else "（补充抽取）"
        firm_items = per_item.get(f.uscc, items)
        if modes.get(f.uscc, "现场") != "现场":
            firm_items += f"（检查方式：{modes[f.uscc]}）"
        body = "、".join(dict.fromkeys(b for _, b in department_bodies(manifest, teams[f.uscc], frozen)
                                       if b != "未设置")) if whole else authority
        rows.append(PublicRow(n, draw.task, body, firm_items, name, f.uscc, r.date,
                              _team(r.inspector_ids, names), r.result, r.measures or ""))
    p = parse_period(draw.period)
    facts = [
        f"抽查期间：{period_text(draw.period)}（{p.first_day.isoformat()} 至 {p.last_day.isoformat()}）",
        f"抽查任务：{draw.task}",
        f"检查实施机关：{authority or '（抽查方案未列明检查实施机关）'}"
        + ("（抽查方案未列明检查实施机关，按检查人员所属单位列示）" if named is None and authority else ""),
        *([f"联合抽查部门：{'；'.join(f'{d}（{b}）' for d, b in joint)}"] if joint else []),
        f"抽取编号：第 {draw.id} 号（抽取账本第 {draw.sequence} 条）",
        f"随机种子：{draw.seed}",
        f"抽取记录（manifest.json）SHA-256：{draw.manifest_sha256}",
        redraw_fact(draw),
        f"公示日期：{published_on.isoformat()}（第 {version} 版）",
    ]
    if draw.superseded_by:
        facts.append(f"说明：本次抽取已被第 {draw.superseded_by} 号抽取取代，本表仅列已完成检查的对象。")
    if pending:
        facts.append(f"说明：本表为阶段性公示，已检查 {len(done)} 家；其余 {pending} 家检查完成后另行公示。")
    who = "、".join(d for d, _ in joint) + "部门联合" if joint else "生态环境"
    title = f"{period_text(draw.period)} {who}“双随机、一公开”抽查结果公示"
    header: dict[str, Any] = {
        "format": "inspect-sched/public-sheet-v1", "title": title, "draw_id": draw.id,
        "ledger_sequence": draw.sequence, "period": draw.period, "period_first_day": p.first_day.isoformat(),
        "period_last_day": p.last_day.isoformat(), "task": draw.task, "authority": bodies,
        "seed": draw.seed, "manifest_sha256": draw.manifest_sha256, "redraw_of": draw.redraw_of,
        "redraw_reason": draw.redraw_reason,
        "superseded_by": draw.superseded_by, "version": version, "published_on": published_on.isoformat(),
        "published": len(done), "pending": pending, "columns": PUBLIC_COLUMNS,
    }
    if joint:  # only a joint task's sidecar has the key: a one-department sheet keeps its bytes
        header["departments"] = [{"department": d, "authority": b} for d, b in joint]
    return PublicSheet(draw_id, title, facts, header, rows, pending, sum(1 for f in done if f.status == "removed"))


# ---------------------------------------------------------------------------- writers


def csv_bytes(sheet: PublicSheet) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(PUBLIC_COLUMNS)
    # Formula-like cells get a leading "'" (SPEC §9): a firm named =HYPERLINK(...) stays text.
    w.writerows(escape_row(r.texts()) for r in sheet.rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def json_bytes(sheet: PublicSheet) -> bytes:
    return (json.dumps(sheet.header, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def xlsx_sheet_bytes(sheet: PublicSheet) -> bytes:
    return xlsx_bytes([Sheet(title="抽查结果公示", header=PUBLIC_COLUMNS, rows=[r.cells() for r in sheet.rows],
                             preamble=[sheet.title, *sheet.facts], column_widths=_COLUMN_WIDTHS)])


_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimSun", sans-serif;
       margin: 2em auto; max-width: 1280px; padding: 0 1em; color: #111; }
h1 { font-size: 1.4em; text-align: center; margin-bottom: 0.8em; }
ul.facts { list-style: none; padding: 0; margin: 0 0 1em; font-size: 0.9em; }
ul.facts li { margin: 0.15em 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #444; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
th.n, th.date { white-space: nowrap; }
td.n { text-align: right; white-space: nowrap; }
td.code, td.date { white-space: nowrap; font-family: monospace, monospace; }
tbody tr:nth-child(even) { background: #f7f7f7; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  h1 { font-size: 14pt; }
  th { background: none; }
  tbody tr:nth-child(even) { background: none; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; }
  td.code, td.date { font-size: 8pt; }
}
"""

_CELL_CLASS = {0: "n", 5: "code", 6: "date"}


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
        f"<thead><tr>{_cells('th', PUBLIC_COLUMNS, _CELL_CLASS)}</tr></thead>",
        "<tbody>",
        *(f"<tr>{_cells('td', row.texts(), _CELL_CLASS)}</tr>" for row in sheet.rows),
        "</tbody>",
        "</table>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


WRITERS: dict[str, Callable[[PublicSheet], bytes]] = {"csv": csv_bytes, "xlsx": xlsx_sheet_bytes, "html": html_bytes}


def superseded_note(engine: Engine, draw_id: int) -> str | None:
    """What the CLI says when the published draw was replaced by a redraw (the sheet says it too)."""
    with Session(engine) as session:
        draw = session.get(Draw, draw_id)
        if draw is None or not draw.superseded_by:
            return None
        return (f"note: draw {draw_id} was superseded by redraw {draw.superseded_by}; "
                "the sheet says so and lists only the firms already inspected under it")


# ---------------------------------------------------------------------------- publishing


@dataclass
class PublishOutcome:
    draw_id: int
    version: int
    new: bool  # False: nothing changed since this version, its files were written again
    published: int
    pending: int
    sequence: int | None  # the ledger entry made (None when nothing new)
    paths: list[Path]
    removed: int = 0  # of ``published``: removed firms' own results (e.g. 已关闭), not current firms



def _render(sheet: PublicSheet, formats: Sequence[PublicFormat]) -> dict[str, bytes]:
    """File name -> bytes: each format as version K and as the latest copy, plus the JSON sidecar."""
    out: dict[str, bytes] = {}
    stem = f"public-draw-{sheet.draw_id}"
    for fmt in [*formats, "json"]:
        data = json_bytes(sheet) if fmt == "json" else WRITERS[fmt](sheet)
        out[f"{stem}-v{sheet.header['version']}.{fmt}"] = data
        out[f"{stem}.{fmt}"] = data
    return out


def publish(engine: Engine, draw_id: int, out: str | Path, formats: Iterable[PublicFormat | str] = FORMATS,
            today: dt.date | None = None) -> PublishOutcome:
    """Publish every result recorded so far for ``draw_id`` as a new version (if anything changed)."""
    wanted = check_formats(formats)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InspectSchedError(f"{out}: exists and is not a folder; give a folder for --out")
    day = today or today_china()
    with session_scope(engine) as session:
        at = ledger.head(session)  # lock: versions are numbered without gaps, results are stable
        last = session.exec(select(Publication).where(Publication.draw_id == draw_id)
                            .order_by(col(Publication.version).desc()).limit(1)).first()
        sheet = build_sheet(session, draw_id, (last.version + 1) if last else 1, day)
        if last is not None and last.content_sha256 == sheet.content_sha256():
            # The latest version already shows every current result: one corrected and then put
            # back as it was is published by it, so status stops counting it as unpublished.
            session.execute(update(Result).where(col(Result.draw_id) == draw_id,
                                                 col(Result.recorded_sequence) > last.sequence)
                            .values(recorded_sequence=None))
            again = build_sheet(session, draw_id, last.version, last.published_on)
            files = _render(again, wanted)
            paths = _write(out, files)
            return PublishOutcome(draw_id, last.version, False, len(again.rows), again.pending, None, paths,
                                  again.removed)
        files = _render(sheet, wanted)  # everything rendered before anything is written or recorded
        created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        pub = Publication(draw_id=draw_id, version=sheet.header["version"], sequence=at.sequence, created_at=created,
                          published_on=day, firms=";".join(sorted(sheet.firms)),
                          content_sha256=sheet.content_sha256(),
                          files_json=files_json({n: sha256_hex(b) for n, b in files.items()}))
        session.add(pub)
        ledger.append(session, at, publish_body(at.sequence, pub), draw_id)
        session.flush()
        # Written inside the transaction: a write failure records nothing.
        paths = _write(out, files)
        for fmt in FORMATS:
            # A latest copy in a format this run did not write would show an older version.
            stale = out / f"public-draw-{draw_id}.{fmt}"
            if fmt not in wanted and stale.exists():
                stale.unlink()
        return PublishOutcome(draw_id, pub.version, True, len(sheet.rows), sheet.pending, at.sequence, paths,
                              sheet.removed)


def _write(out: Path, files: dict[str, bytes]) -> list[Path]:
    paths = []
    for name, data in files.items():
        write_atomic(out / name, data)  # 0644: this is the public document
        paths.append(out / name)
    return paths
