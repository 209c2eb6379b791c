"""The annual report (``report --year YYYY --out DIR``): an xlsx workbook and PNG charts.

What counts (the same rules as the draws themselves, SPEC §2):

* the year's draws are those whose period lies in it (a 2026-12 draw whose checks ran
  into January 2027 belongs to 2026, the year it was planned for);
* a drawn inspection counts when its draw is current, or, for a draw superseded by a
  redraw, when results were recorded for that firm anyway; "done" means a result exists;
* firms are classified by stratum (监管类别) and credit grade as they are in the pool now,
  so each cell's share "inspected / active firms" compares like with like; a firm no
  longer in the pool keeps the stratum its draw recorded and is shown as credit "removed";
* inspector load counts actual inspectors of recorded results ("done") and assigned
  teams ("drawn"), over every active inspector in the pool, so idle inspectors show as 0.

Every inspection of the year counts too (sheet 检查次数): imported history and the results
of draws, by kind (双随机 random, 专项 special, 信访/投诉 complaint) and by source, plus
drawn firms whose result is still pending, so that a year of imported history is no longer
invisible.

The compliance sheet (达标情况) checks the policy's required ratios (``[minimum]``, share of
a stratum per quarter) quarter by quarter, and full-year coverage of key polluters and of
``full_coverage`` strata:

* the frame of a stratum in a quarter is the pool's active firms of that category (as the
  pool is now) without a positive-list entry active on the quarter's first day — the firms
  the random draws may reach;
* a firm is inspected in the quarter when it has a ``random`` inspection dated in it (imported
  or a draw's result): the ratios are about 双随机 checks, so special and complaint checks do
  not count toward them;
* ✓ when inspected ≥ minimum × frame, compared exactly (integers), ✗ otherwise; a stratum
  without a minimum shows its ratio and "—".

Charts use Chinese labels when a CJK font is installed (Debian: fonts-noto-cjk) and English
ones otherwise, with a warning, because without one matplotlib draws Chinese as empty boxes.
They carry no timestamp, so the same data gives the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.core.inputs import split_list
from inspect_sched.errors import InspectSchedError
from inspect_sched.io.fsutil import write_atomic
from inspect_sched.io.xlsx import Sheet, xlsx_bytes
from inspect_sched.schema import vocab
from inspect_sched.schema.periods import parse_period
from inspect_sched.schema.policy import Policy, decimal_string, load_policy
from inspect_sched.schema.vocab import CATEGORIES, CATEGORY_ZH, CREDITS
from inspect_sched.store.models import (
    Draw,
    Enterprise,
    HistoryEntry,
    Inspector,
    PositiveListEntry,
    Result,
)
from inspect_sched.store.queries import current_firms, replacement_count

STRATA = CATEGORIES  # a firm's stratum is its category (SPEC §4)
STRATUM_ZH = CATEGORY_ZH
CREDIT_ZH = {**vocab.CREDIT_ZH, "removed": "已移出名录"}
RESULT_EN = {"未发现问题": "no problem found", "责令改正": "ordered to correct", "立案查处": "case filed",
             "查无下落": "not found", "已关闭或停产": "closed/suspended", "拒绝检查": "refused"}


@dataclass
class Cell:
    pool: int = 0
    active: int = 0
    drawn: int = 0
    done: int = 0
    inspected: set[str] = field(default_factory=set)  # distinct firms with a result

    def share(self) -> str:
        return _pct(len(self.inspected), self.active)


@dataclass
class ReportData:
    year: int
    draws: list[Draw]
    cells: dict[tuple[str, str], Cell]
    per_draw: dict[int, tuple[int, int]]  # draw id -> (drawn, done)
    load_drawn: dict[str, int]
    load_done: dict[str, int]
    inspector_names: dict[str, str]
    results_by_kind: Counter[str]
    results_by_stratum: dict[str, Counter[str]]
    deviating: int
    replacements: int = 0  # firms drawn as replacements after the draw (SPEC §7)
    # (kind, source) -> inspections dated in the year; source "import", "draw" or "pending"
    inspections: Counter[tuple[str, str]] = field(default_factory=Counter)
    compliance: list[ComplianceLine] = field(default_factory=list)


KIND_ZH = {"random": "双随机", "special": "专项", "complaint": "信访/投诉"}
SOURCE_ZH = {"import": "导入的检查记录", "draw": "抽取结果", "pending": "已抽中、结果待录入"}


@dataclass(frozen=True)
class ComplianceLine:
    span: str  # "Q1".."Q4" or "year"
    stratum: str
    frame: int
    inspected: int
    required: Fraction | None  # share of the frame; None = no requirement

    @property
    def met(self) -> bool | None:
        if self.required is None:
            return None
        # Exact: inspected / frame >= required, without floating point.
        return self.inspected * self.required.denominator >= self.required.numerator * self.frame

    def row(self) -> list[object]:
        span = "全年" if self.span == "year" else f"第{self.span[1]}季度"
        need = "—" if self.required is None else (
            "全部 100%" if self.required == 1 else f"≥ {_pct_exact(self.required)}")
        mark = {True: "✓ 达标", False: "✗ 未达标", None: "—"}[self.met]
        return [span, STRATUM_ZH.get(self.stratum, self.stratum), self.frame, self.inspected,
                _pct(self.inspected, self.frame), need, mark]


def _pct_exact(x: Fraction) -> str:
    try:
        return decimal_string(x * 100) + "%"
    except ValueError:
        return f"{float(x * 100):.2f}%"


def _quarters(year: int) -> list[tuple[str, dt.date, dt.date]]:
    out = []
    for q in range(1, 5):
        p = parse_period(f"{year}-Q{q}")
        out.append((f"Q{q}", p.first_day, p.last_day))
    return out


def compliance_lines(session: Session, year: int, policy: Policy) -> list[ComplianceLine]:
    """Per quarter and stratum the achieved share against ``[minimum]``; then full-year coverage."""
    firms = {e.uscc: e.category for e in session.exec(select(Enterprise).where(Enterprise.status == "active"))}
    listed = list(session.exec(select(PositiveListEntry)))
    random_dates: dict[str, list[dt.date]] = defaultdict(list)
    for h in session.exec(select(HistoryEntry).where(HistoryEntry.kind == "random")):
        if h.date.year == year:
            random_dates[h.uscc].append(h.date)
    strata = [s for s in STRATA if s in policy.strata]
    lines = []
    spans = [*_quarters(year), ("year", dt.date(year, 1, 1), dt.date(year, 12, 31))]
    for span, first, last in spans:
        on_list = {p.uscc for p in listed if p.start <= first <= p.end}
        for s in strata:
            frame = {u for u, c in firms.items() if c == s and u not in on_list}
            done = {u for u in frame if any(first <= d <= last for d in random_dates.get(u, ()))}
            if span == "year":
                if s != "key" and not policy.strata[s].full_coverage:
                    continue
                required: Fraction | None = Fraction(1)  # 重点排污单位 all in a year; full-coverage strata all
            else:
                required = policy.minimum.get(s)
            lines.append(ComplianceLine(span, s, len(frame), len(done), required))
    return lines


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def _spread(values: list[int]) -> tuple[int, float, int]:
    if not values:
        return 0, 0, 0
    return min(values), statistics.median(values), max(values)


def _inspections(session: Session, year: int, draws: list[Draw]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for h in session.exec(select(HistoryEntry)):
        if h.date.year == year:
            counts[(h.kind, "import" if h.draw_id is None else "draw")] += 1
    for d in draws:
        if d.superseded_by is not None:
            continue  # its firms without a result are no inspection (SPEC §2)
        with_result = set(session.exec(select(Result.uscc).where(Result.draw_id == d.id)))
        assert d.id is not None
        # Current firms (SPEC §7): a removed firm is not pending, its replacement is.
        pending = [f.uscc for f in current_firms(session, d.id) if f.status != "removed" and f.uscc not in with_result]
        counts[("random", "pending")] += len(pending)
    return counts


def collect(session: Session, year: int, policy: Policy | None = None) -> ReportData:
    draws = [d for d in session.exec(select(Draw).order_by(Draw.id)) if parse_period(d.period).year == year]
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    where: dict[str, tuple[str, str]] = {}
    for e in session.exec(select(Enterprise)):
        key = (e.category, e.credit)
        where[e.uscc] = key
        cells[key].pool += 1
        cells[key].active += e.status == "active"
    per_draw: dict[int, tuple[int, int]] = {}
    load_drawn: Counter[str] = Counter()
    load_done: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    by_stratum: dict[str, Counter[str]] = defaultdict(Counter)
    deviating = 0
    replacements = 0
    for d in draws:
        results = {r.uscc: r for r in session.exec(select(Result).where(Result.draw_id == d.id))}
        drawn = done = 0
        for f in current_firms(session, d.id):
            r = results.get(f.uscc)
            if (d.superseded_by is not None or f.status == "removed") and r is None:
                continue  # superseded or replaced (SPEC §7), and never visited: not an inspection  # superseded and never visited: not an inspection (SPEC §2)
            key = where.get(f.uscc, (f.stratum, "removed"))
            cell = cells[key]
            cell.drawn += 1
            drawn += 1
            load_drawn.update(split_list(f.inspector_ids))
            if r is not None:
                cell.done += 1
                cell.inspected.add(f.uscc)
                done += 1
                load_done.update(split_list(r.inspector_ids))
                by_kind[r.result] += 1
                by_stratum[key[0]][r.result] += 1
                deviating += bool(r.deviates)
        per_draw[d.id] = (drawn, done)
        replacements += replacement_count(session, d.id)
    names = {}
    for i in session.exec(select(Inspector)):
        names[i.inspector_id] = i.name
        if i.active:
            load_drawn.setdefault(i.inspector_id, 0)
            load_done.setdefault(i.inspector_id, 0)
    return ReportData(year, draws, dict(cells), per_draw, dict(load_drawn), dict(load_done), names,
                      by_kind, dict(by_stratum), deviating, replacements, _inspections(session, year, draws),
                      compliance_lines(session, year, policy or load_policy()))


def _ordered_keys(cells: dict[tuple[str, str], Cell]) -> list[tuple[str, str]]:
    strata = [s for s in STRATA if any(k[0] == s for k in cells)] + sorted({k[0] for k in cells} - set(STRATA))
    credits = [*CREDITS, "removed"]
    return sorted(cells, key=lambda k: (strata.index(k[0]), credits.index(k[1]) if k[1] in credits else 99, k[1]))


def _merge(cells: list[Cell]) -> Cell:
    out = Cell()
    for c in cells:
        out.pool += c.pool
        out.active += c.active
        out.drawn += c.drawn
        out.done += c.done
        out.inspected |= c.inspected
    return out


def _stratum_total(data: ReportData, stratum: str) -> Cell:
    return _merge([c for k, c in data.cells.items() if k[0] == stratum])


def sheets(data: ReportData) -> list[Sheet]:
    total = _merge(list(data.cells.values()))
    key = _stratum_total(data, "key")
    current = [d for d in data.draws if d.superseded_by is None]
    drawn_load = sorted(data.load_drawn.values())
    done_load = sorted(data.load_done.values())
    summary = [
        ["年度 year", data.year],
        ["抽取次数（全部） draws made, total", len(data.draws)],
        ["抽取次数（有效，未被取代） draws not superseded", len(current)],
        ["重新抽取次数 redraws", sum(1 for d in data.draws if d.redraw_of)],
        ["应检查（抽中） inspections drawn", total.drawn],
        ["已检查（已录入结果） inspections done", total.done],
        ["完成率 done / drawn", _pct(total.done, total.drawn)],
        ["在产企业数 active firms in the pool", total.active],
        ["被检查企业数 distinct firms inspected", len(total.inspected)],
        ["检查覆盖率 share of active firms inspected", total.share()],
        ["重点排污单位覆盖率 key polluters inspected / active", key.share()],
        ["实际人员与分派不一致 results with deviating teams", data.deviating],
        ["补充抽取（替代无法检查的企业） replacement firms drawn after the draw", data.replacements],
        ["人均分派检查（最少/中位/最多） assigned per inspector min/median/max",
         "{} / {} / {}".format(*_spread(drawn_load))],
        ["人均完成检查（最少/中位/最多） done per inspector min/median/max",
         "{} / {} / {}".format(*_spread(done_load))],
    ]
    strata_rows = []
    for k in _ordered_keys(data.cells):
        c = data.cells[k]
        strata_rows.append([STRATUM_ZH.get(k[0], k[0]), CREDIT_ZH.get(k[1], k[1]), c.pool, c.active, c.drawn,
                            c.done, len(c.inspected), c.share()])
    for s in sorted({k[0] for k in data.cells}, key=lambda s: STRATA.index(s) if s in STRATA else 9):
        c = _stratum_total(data, s)
        strata_rows.append([STRATUM_ZH.get(s, s), "合计", c.pool, c.active, c.drawn, c.done, len(c.inspected),
                            c.share()])
    strata_rows.append(["合计", "", total.pool, total.active, total.drawn, total.done, len(total.inspected),
                        total.share()])
    draw_rows = [[d.id, d.period, d.task, d.seed, d.redraw_of or "", d.superseded_by or "", d.sample_size,
                  *data.per_draw[d.id]] for d in data.draws]
    inspector_rows = [[i, data.inspector_names.get(i, ""), data.load_drawn.get(i, 0), data.load_done.get(i, 0)]
                      for i in sorted(set(data.load_drawn) | set(data.load_done))]
    result_rows = [[kind, n, _pct(n, total.done)] for kind, n in sorted(data.results_by_kind.items(),
                                                                           key=lambda kv: (-kv[1], kv[0]))]
    for s, counts in sorted(data.results_by_stratum.items()):
        for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            result_rows.append([f"{STRATUM_ZH.get(s, s)}：{kind}", n, ""])
    caption = [f"{data.year}年度“双随机、一公开”抽查情况统计（内部统计）"]
    kinds = [kd for kd in KIND_ZH if any(pair[0] == kd for pair in data.inspections)] + sorted(
        {kd for kd, _ in data.inspections} - set(KIND_ZH))
    count_rows: list[list[object]] = []
    for kd in kinds:
        per = [data.inspections.get((kd, src), 0) for src in SOURCE_ZH]
        count_rows.append([KIND_ZH.get(kd, kd), *per, sum(per)])
    count_rows.append(["合计", *[sum(data.inspections.get((kd, src), 0) for kd in kinds) for src in SOURCE_ZH],
                       sum(data.inspections.values())])
    compliance_caption = [*caption, "比例要求：抽查方案 [minimum]（每季度）；重点排污单位及全覆盖类别全年全部检查。"
                          "仅计双随机检查；抽查范围为名录中在产、不在正面清单内的企业（按当前名录）。"]
    return [
        Sheet("概况", ["指标 measure", "数值 value"], summary, caption, (56, 24)),
        Sheet("分类统计", ["监管类别", "信用等级", "名录企业数", "在产企业数", "应检查", "已检查", "被检查企业数",
                        "检查覆盖率"], strata_rows, caption),
        Sheet("抽取记录", ["抽取编号", "期间", "抽查任务", "随机种子", "重新抽取自", "被取代于", "抽中企业数",
                        "应检查（计入）", "已检查"], draw_rows, caption),
        Sheet("检查人员", ["执法证号", "姓名", "分派检查数", "完成检查数"], inspector_rows, caption),
        Sheet("检查结果", ["检查结果", "数量", "占已检查"], result_rows, caption),
        Sheet("检查次数", ["检查类型", *SOURCE_ZH.values(), "合计"], count_rows, caption),
        Sheet("达标情况", ["期间", "监管类别", "抽查范围（企业数）", "已检查企业数", "实际比例", "要求", "是否达标"],
              [line.row() for line in data.compliance], compliance_caption, (10, 16, 18, 14, 12, 14, 12)),
    ]


# ---------------------------------------------------------------------------- charts


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK", "Noto Serif CJK", "Source Han", "WenQuanYi", "SimHei", "Microsoft YaHei",
              "PingFang", "Heiti", "AR PL", "Droid Sans Fallback")
    for f in font_manager.fontManager.ttflist:
        if any(w.lower() in f.name.lower() for w in wanted):
            return f.name
    # matplotlib caches its font list the first time it runs; a CJK font installed later
    # (apt-get install fonts-noto-cjk) is not in it. Look on disk, and register what is found.
    files = [p for p in sorted(font_manager.findSystemFonts())
             if any(w.replace(" ", "").lower() in Path(p).name.replace(" ", "").lower()
                    for w in ("NotoSansCJK", "NotoSerifCJK", "SourceHan", "wqy", "SimHei", "DroidSansFallback"))]
    for path in files:
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
        return font_manager.FontProperties(fname=path).get_name()
    return None


def _labels(zh: bool) -> dict[str, object]:
    if zh:
        return {"strata": STRATUM_ZH, "credit": CREDIT_ZH, "drawn": "应检查", "done": "已检查",
                "coverage": "{y}年 各类别应检查与已检查", "share": "{y}年 各信用等级在产企业检查覆盖率",
                "share_y": "覆盖率（%）", "load": "{y}年 执法人员完成检查数分布", "load_x": "每人完成检查数",
                "load_y": "人数", "results": "{y}年 检查结果", "count": "数量", "result": lambda s: s,
                "compliance": "{y}年 各季度抽查比例与要求", "quarter": "第{q}季度", "minimum": "{s}要求"}
    return {"strata": {s: s for s in STRATA},
            "credit": {c: c for c in [*CREDITS, "removed"]}, "drawn": "drawn", "done": "done",
            "coverage": "{y}: inspections drawn vs done by stratum", "share": "{y}: share of active firms inspected, by credit",
            "share_y": "share inspected (%)", "load": "{y}: inspections done per inspector",
            "load_x": "inspections done", "load_y": "inspectors", "results": "{y}: results by kind",
            "count": "count", "result": lambda s: RESULT_EN.get(s, "other"),
            "compliance": "{y}: share inspected per quarter vs required", "quarter": "Q{q}",
            "minimum": "{s} required"}


CJK_FONT_WARNING = ("no CJK font installed: the charts use English labels "
                    "(install one, e.g. apt-get install fonts-noto-cjk, for Chinese labels)")


def charts(data: ReportData, warnings: list[str] | None = None) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; also keeps output independent of the desktop
    import matplotlib.pyplot as plt

    font = _cjk_font()
    if font is None and warnings is not None:
        warnings.append(CJK_FONT_WARNING)
    lab = _labels(font is not None)
    style = {"font.family": [font, "DejaVu Sans"]} if font else {"font.family": ["DejaVu Sans"]}
    y = data.year
    out: dict[str, bytes] = {}

    def save(fig, name: str) -> None:  # type: ignore[no-untyped-def]
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
        plt.close(fig)
        out[name] = buf.getvalue()

    with matplotlib.rc_context(style):
        strata = sorted({k[0] for k in data.cells}, key=lambda s: STRATA.index(s) if s in STRATA else 9) or list(STRATA)
        totals = [_stratum_total(data, s) for s in strata]
        fig, ax = plt.subplots(figsize=(7, 4))
        xs = range(len(strata))
        ax.bar([x - 0.2 for x in xs], [c.drawn for c in totals], 0.4, label=lab["drawn"], color="#9bb7d4")
        ax.bar([x + 0.2 for x in xs], [c.done for c in totals], 0.4, label=lab["done"], color="#2c5d8f")
        ax.set_xticks(list(xs), [lab["strata"].get(s, s) for s in strata])  # type: ignore[union-attr]
        ax.set_ylabel(lab["count"])
        ax.set_title(str(lab["coverage"]).format(y=y))
        ax.legend()
        save(fig, "coverage")

        credits = [c for c in [*CREDITS, "removed"] if any(k[1] == c for k in data.cells)] or list(CREDITS)
        merged = [_merge([v for k, v in data.cells.items() if k[1] == c]) for c in credits]
        fig, ax = plt.subplots(figsize=(7, 4))
        shares = [100 * len(c.inspected) / c.active if c.active else 0 for c in merged]
        ax.bar([lab["credit"].get(c, c) for c in credits], shares,  # type: ignore[union-attr]
               color=["#4caf50", "#2196f3", "#ffc107", "#f44336", "#424242", "#9e9e9e"][: len(credits)])
        ax.set_ylabel(lab["share_y"])
        ax.set_title(str(lab["share"]).format(y=y))
        save(fig, "credit")

        fig, ax = plt.subplots(figsize=(7, 4))
        loads = list(data.load_done.values()) or [0]
        ax.hist(loads, bins=range(0, max(loads) + 2), align="left", rwidth=0.8, color="#2c5d8f")
        ax.set_xlabel(lab["load_x"])
        ax.set_ylabel(lab["load_y"])
        ax.set_title(str(lab["load"]).format(y=y))
        save(fig, "inspectors")

        fig, ax = plt.subplots(figsize=(7, 4))
        kinds: Counter[str] = Counter()
        for kind, n in data.results_by_kind.items():
            kinds[lab["result"](kind)] += n  # type: ignore[operator]
        items = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        ax.barh([k for k, _ in items][::-1], [n for _, n in items][::-1], color="#2c5d8f")
        ax.set_xlabel(lab["count"])
        ax.set_title(str(lab["results"]).format(y=y))
        save(fig, "results")

        quarterly = [c for c in data.compliance if c.span != "year"]
        shown = [s for s in STRATA if any(c.stratum == s for c in quarterly)]
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / max(1, len(shown))
        colours = {"key": "#c0392b", "general": "#2c5d8f", "special": "#8e44ad"}
        strata_names: dict[str, str] = lab["strata"]  # type: ignore[assignment]
        for i, s in enumerate(shown):
            lines = [c for c in quarterly if c.stratum == s]
            bar_x = [q + (i - (len(shown) - 1) / 2) * width for q in range(len(lines))]
            ax.bar(bar_x, [100 * c.inspected / c.frame if c.frame else 0 for c in lines], width,
                   label=strata_names.get(s, s), color=colours.get(s, "#777"))
            req = lines[0].required if lines else None
            if req is not None:
                ax.hlines(float(req) * 100, -0.5, 3.5, colors=colours.get(s, "#777"), linestyles="dashed",
                          label=str(lab["minimum"]).format(s=strata_names.get(s, s)))
        ax.set_xticks(range(4), [str(lab["quarter"]).format(q=q) for q in range(1, 5)])
        ax.set_ylabel(str(lab["share_y"]))
        ax.set_title(str(lab["compliance"]).format(y=y))
        ax.legend(fontsize="small")
        save(fig, "compliance")
    return out


def annual_report(engine: Engine, year: int, out: str | Path, policy: Policy | None = None,
                  warnings: list[str] | None = None) -> list[Path]:
    """Write ``report-YYYY.xlsx`` and ``report-YYYY-<chart>.png`` into ``out``; return the paths.

    ``policy`` gives the required ratios (``[minimum]``) and full-coverage strata; warnings
    (e.g. no CJK font for the charts) are appended to ``warnings``.
    """
    if not 1900 <= year <= 9999:
        raise InspectSchedError(f"year {year} is out of range; give a calendar year such as 2026")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InspectSchedError(f"{out}: exists and is not a folder; give a folder", hint="out_not_folder", out=out)
    with Session(engine) as session:
        data = collect(session, year, policy)
    # Render everything first: a failure must not leave half a report behind.
    files = {f"report-{year}.xlsx": xlsx_bytes(sheets(data))}
    files.update({f"report-{year}-{name}.png": png for name, png in charts(data, warnings).items()})
    paths = []
    for name, content in files.items():
        write_atomic(out / name, content, private=True)  # internal statistics, not the public sheet
        paths.append(out / name)
    return paths
