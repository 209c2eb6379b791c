"""The main job in one call, on a fresh embedded database and the bundled fixtures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from inspect_sched.audit.verify import verify_bundle
from inspect_sched.errors import InspectSchedError
from inspect_sched.io.fsutil import write_atomic
from inspect_sched.outputs.publish import FORMATS, publish
from inspect_sched.services.draws import DrawResult, PlanResult, build_spec, make_draw, make_plan
from inspect_sched.services.ledger import verify_ledger
from inspect_sched.services.results import ResultsSummary, import_results
from inspect_sched.store import importers
from inspect_sched.store.db import get_engine, init_db

# Package data: in a checkout a link to the top-level fixtures/, in a wheel the files themselves.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEMO_PERIOD = "2026-12"
# A seed as a detachment would take it: digits read off a public lottery draw after the
# plan's commitment was published. Fixed here so the demo's bundle is reproducible.
DEMO_SEED = "26120107153348092215"

# (import function, file) in the order a user would load them: pools first.
_LOADS: list[tuple[str, Callable[..., importers.ImportSummary], str]] = [
    ("enterprises", importers.import_enterprises, "enterprises.xlsx"),
    ("inspectors", importers.import_inspectors, "inspectors.csv"),
    ("positive-list", importers.import_positive_list, "positive_list.csv"),
    ("conflicts", importers.import_conflicts, "conflicts.csv"),
    ("history", importers.import_history, "history.csv"),
]


@dataclass
class DemoResult:
    out: Path
    db_url: str
    imported: list[tuple[str, importers.ImportSummary]] = field(default_factory=list)
    plan: PlanResult | None = None
    draw: DrawResult | None = None
    bundle_problems: list[str] = field(default_factory=list)
    ledger_problems: list[str] = field(default_factory=list)
    public_files: list[Path] = field(default_factory=list)
    results: ResultsSummary | None = None


def run_demo(out: str | Path | None = None, fixtures: str | Path | None = None) -> DemoResult:
    """Fresh SQLite DB in ``out`` (a new folder by default): import, plan, draw, verify, results, publish."""
    src = Path(fixtures) if fixtures else FIXTURES
    missing = [name for _, _, name in _LOADS if not (src / name).is_file()]
    if missing:
        raise InspectSchedError(
            f"fixtures not found in {src} (missing {', '.join(missing)}); give a folder of pool files",
            hint="no_fixtures", src=src, missing=", ".join(missing),
        )
    if out is None:
        folder = Path(tempfile.mkdtemp(prefix="inspect-sched-demo-", dir="."))
    else:
        folder = Path(out)
        if folder.exists() and any(folder.iterdir()):
            raise InspectSchedError(f"{folder}: already exists and is not empty; the demo needs a fresh folder")
        folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder.resolve() / 'demo.db'}"
    engine = get_engine(url)
    init_db(engine)
    result = DemoResult(folder, url)
    for label, fn, name in _LOADS:
        result.imported.append((label, fn(engine, src / name)))
    spec = build_spec(DEMO_PERIOD)
    result.plan = make_plan(engine, spec)
    result.draw = make_draw(engine, DEMO_SEED, folder / f"draw-{DEMO_PERIOD}", plan_id=result.plan.plan_id)
    result.bundle_problems = verify_bundle(result.draw.out)
    result.ledger_problems, _ = verify_ledger(engine)
    results_file = folder / "results-simulated.csv"
    write_atomic(results_file, simulated_results(result.draw))
    result.results = import_results(engine, results_file, result.draw.draw_id)
    result.public_files = publish(engine, result.draw.draw_id, folder / "public", FORMATS).paths
    result.ledger_problems, _ = verify_ledger(engine)
    return result


# Outcomes as a detachment reports them, with rough shares; measures go with each.
_OUTCOMES = [
    ("未发现问题", 70, ""),
    ("责令改正", 18, "下达责令改正违法行为决定书，限期整改"),
    ("立案查处", 6, "立案调查，依法实施行政处罚"),
    ("已关闭或停产", 3, "核实停产情况，纳入名录库动态更新"),
    ("查无下落", 2, "提请市场监管部门核查登记信息"),
    ("拒绝检查", 1, "依法移送公安机关处理"),
]


def simulated_results(draw: DrawResult) -> bytes:
    """A results file for the demo: every drawn firm inspected today by its assigned team.

    Seeded by the draw's seed, so the same draw gives the same outcomes; the dates are
    today (China time), because a results file may not hold future dates.
    """
    rng = random.Random(draw.derivation.seed)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["统一社会信用代码", "检查日期", "检查结果", "处理措施"])
    outcomes, weights = [o[0:3:2] for o in _OUTCOMES], [o[1] for o in _OUTCOMES]
    for row in draw.derivation.sample:
        result, measures = rng.choices(outcomes, weights)[0]
        w.writerow([row.framed.firm.uscc, today, result, measures])
    return buf.getvalue().encode("utf-8-sig")
