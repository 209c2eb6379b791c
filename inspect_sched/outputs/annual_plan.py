"""The annual inspection plan (年度抽查计划): ``plan-year --year Y [--policy F ...] --out DIR``.

For each task (one per policy), month and stratum: the expected frame from the current
pools and the sample size the policy gives, and per month the inspector capacity needed
against the capacity available. It is a forecast for the bureau's website, not a draw: the
real frames also lose firms to the annual cap and the recency rule, which depend on the
year's own draws, so the expected frames here are upper bounds.

How sizes are forecast:

* the frame of a stratum in a month is the pool's active firms of that category without a
  positive-list entry active on the month's first day;
* ``ratio`` and ``count`` strata: the draw-v1 size of that frame each month
  (``min(N, ceil(ratio × N))`` or ``min(count, N)``), as monthly draws would take them;
* ``staff_ratio`` (firms per inspector a year, e.g. general = "5" for 1 : 5): the year's
  size is ``ceil(available inspectors in January × ratio)``, spread evenly over the months
  (earlier months take the remainder), and never more than the month's frame;
* ``full_coverage`` strata: every firm once in the year, spread evenly over the months
  ("综合查一次"), rather than every firm every month;
* capacity: needed = Σ sample × team size (inspector visits); available = inspectors of
  the task's department (生态环境) who are active and certified through the month's last day,
  × ``max_per_inspector``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
from dataclasses import dataclass
from math import ceil
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.errors import InspectSchedError
from inspect_sched.io.fsutil import write_atomic
from inspect_sched.io.xlsx import Sheet, xlsx_bytes
from inspect_sched.schema.policy import Policy, decimal_string
from inspect_sched.schema.vocab import CATEGORIES, DEFAULT_DEPARTMENT
from inspect_sched.store.models import Enterprise, Inspector, PositiveListEntry

STRATUM_ZH = {"key": "重点排污单位", "general": "一般排污单位", "special": "特殊监管对象"}


@dataclass(frozen=True)
class PlanCell:
    task: str
    month: int
    stratum: str
    frame: int
    sample: int
    rule: str  # how the size was set, in words


@dataclass(frozen=True)
class Capacity:
    month: int
    needed: int  # inspector visits
    inspectors: int
    available: int  # inspectors × max_per_inspector

    @property
    def ok(self) -> bool:
        return self.needed <= self.available


@dataclass
class YearPlan:
    year: int
    cells: list[PlanCell]
    capacity: list[Capacity]
    tasks: list[str]


def _spread(total: int, months: int = 12) -> list[int]:
    base, extra = divmod(total, months)
    return [base + (1 if m < extra else 0) for m in range(months)]


def build_plan(session: Session, year: int, policies: list[Policy]) -> YearPlan:
    firms = list(session.exec(select(Enterprise).where(Enterprise.status == "active")))
    listed = list(session.exec(select(PositiveListEntry)))
    inspectors = [i for i in session.exec(select(Inspector).where(Inspector.department == DEFAULT_DEPARTMENT))
                  if i.active]
    months = range(1, 13)
    firsts = {m: dt.date(year, m, 1) for m in months}
    lasts = {m: dt.date(year, m, calendar.monthrange(year, m)[1]) for m in months}
    available = {m: sum(1 for i in inspectors if i.cert_valid_until >= lasts[m]) for m in months}
    frames: dict[tuple[int, str], int] = {}
    for m in months:
        on_list = {p.uscc for p in listed if p.start <= firsts[m] <= p.end}
        for s in CATEGORIES:
            frames[(m, s)] = sum(1 for f in firms if f.category == s and f.uscc not in on_list)
    cells: list[PlanCell] = []
    for policy in policies:
        for s in CATEGORIES:
            rule = policy.strata[s]
            if s in policy.staff_ratio:
                r = policy.staff_ratio[s]
                yearly = ceil(available[1] * r)
                sizes = [min(n, frames[(m, s)]) for m, n in zip(months, _spread(yearly), strict=True)]
                words = f"人员配比 1:{decimal_string(r)}（{available[1]} 人，全年 {yearly} 家）"
            elif rule.full_coverage:
                sizes = _spread(frames[(1, s)])
                words = "全覆盖，全年每家一次，按月分摊"
            elif rule.count is not None:
                sizes = [min(rule.count, frames[(m, s)]) for m in months]
                words = f"每次 {rule.count} 家"
            else:
                assert rule.ratio is not None
                sizes = [min(frames[(m, s)], ceil(rule.ratio * frames[(m, s)])) for m in months]
                words = f"每次 {decimal_string(rule.ratio * 100)}%"
            for m, n in zip(months, sizes, strict=True):
                cells.append(PlanCell(policy.task, m, s, frames[(m, s)], n, words))
    capacity = []
    for m in months:
        needed = sum(c.sample * next(p.team_size for p in policies if p.task == c.task)
                     for c in cells if c.month == m)
        cap = available[m] * max(p.max_per_inspector for p in policies)
        capacity.append(Capacity(m, needed, available[m], cap))
    return YearPlan(year, cells, capacity, [p.task for p in policies])


def _sheets(plan: YearPlan) -> list[Sheet]:
    caption = [f"{plan.year}年度“双随机、一公开”抽查计划",
               "预计抽查范围按当前名录（在产、不在正面清单内）估算，为上限；实际以每次抽取为准。"]
    rows = [[c.task, f"{c.month}月", STRATUM_ZH.get(c.stratum, c.stratum), c.frame, c.sample, c.rule]
            for c in plan.cells]
    for task in plan.tasks:
        rows.append([task, "全年", "合计", "", sum(c.sample for c in plan.cells if c.task == task), ""])
    cap_rows = [[f"{c.month}月", c.needed, c.inspectors, c.available, "✓ 足够" if c.ok else "✗ 不足"]
                for c in plan.capacity]
    return [
        Sheet("年度计划", ["抽查任务", "月份", "监管类别", "预计抽查范围（企业数）", "计划抽查数", "依据"], rows, caption,
              (22, 8, 16, 22, 12, 40)),
        Sheet("人员能力", ["月份", "所需检查人次", "在岗持证人员", "可承担检查人次", "是否足够"], cap_rows, caption,
              (8, 14, 14, 16, 12)),
    ]


_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 2em auto; max-width: 1280px; padding: 0 1em; color: #111; }
h1 { font-size: 1.4em; text-align: center; }
h2 { font-size: 1.1em; margin-top: 1.5em; }
p.note { font-size: 0.85em; color: #444; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #444; padding: 0.25em 0.4em; text-align: right; }
th { background: #eee; text-align: center; }
td.l { text-align: left; }
td.bad { color: #b00; font-weight: bold; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  th { background: none; }
  tr { page-break-inside: avoid; }
}
"""


def _html(plan: YearPlan) -> bytes:
    e = html.escape
    title = f"{plan.year}年度“双随机、一公开”抽查计划"
    months = list(range(1, 13))
    head = "".join(f"<th>{m}月</th>" for m in months)
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>", f"<h1>{e(title)}</h1>",
           '<p class="note">计划抽查数（家）按当前名录估算；重点排污单位、特殊监管对象等全覆盖类别全年每家至少检查一次，'
           "按月分摊。预计抽查范围为上限，实际以每次公开抽取为准。</p>"]
    for task in plan.tasks:
        out += [f"<h2>{e(task)}</h2>", "<table>",
                f"<thead><tr><th>监管类别</th><th>预计范围（1月）</th><th>依据</th>{head}<th>全年</th></tr></thead>", "<tbody>"]
        for s in CATEGORIES:
            cells = [c for c in plan.cells if c.task == task and c.stratum == s]
            if not cells:
                continue
            out.append(f'<tr><td class="l">{e(STRATUM_ZH.get(s, s))}</td><td>{cells[0].frame}</td>'
                       f'<td class="l">{e(cells[0].rule)}</td>'
                       + "".join(f"<td>{c.sample}</td>" for c in cells) + f"<td>{sum(c.sample for c in cells)}</td></tr>")
        out += ["</tbody>", "</table>"]
    out += ["<h2>检查人员能力</h2>", "<table>", f"<thead><tr><th>项目</th>{head}</tr></thead>", "<tbody>",
            '<tr><td class="l">所需检查人次</td>' + "".join(f"<td>{c.needed}</td>" for c in plan.capacity) + "</tr>",
            '<tr><td class="l">在岗持证人员</td>' + "".join(f"<td>{c.inspectors}</td>" for c in plan.capacity) + "</tr>",
            '<tr><td class="l">可承担检查人次</td>' + "".join(f"<td>{c.available}</td>" for c in plan.capacity) + "</tr>",
            '<tr><td class="l">是否足够</td>' + "".join(
                "<td>✓</td>" if c.ok else '<td class="bad">✗</td>' for c in plan.capacity) + "</tr>",
            "</tbody>", "</table>", "</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def annual_plan(engine: Engine, year: int, policies: list[Policy], out: str | Path) -> tuple[YearPlan, list[Path]]:
    """Write ``plan-YYYY.xlsx`` and ``plan-YYYY.html`` into ``out``."""
    if not 1900 <= year <= 9999:
        raise InspectSchedError(f"year {year} is out of range; give a calendar year such as 2027")
    tasks = [p.task for p in policies]
    if len(set(tasks)) != len(tasks):
        raise InspectSchedError("two policies name the same task; give each --policy its own task name")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InspectSchedError(f"{out}: exists and is not a folder; give a folder for --out")
    with Session(engine) as session:
        plan = build_plan(session, year, policies)
    files = {f"plan-{year}.xlsx": xlsx_bytes(_sheets(plan)), f"plan-{year}.html": _html(plan)}
    paths = []
    for name, data in files.items():
        write_atomic(out / name, data)  # a public document (published on the bureau's website)
        paths.append(out / name)
    return plan, paths
