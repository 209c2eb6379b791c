"""The library's front door: everything the command line does, with typed arguments.

    from inspect_sched import Database, verify_bundle

    db = Database("sqlite:///city.db")
    db.init()
    db.import_enterprises("名录库.xlsx")
    db.import_inspectors("执法人员.xlsx")
    plan = db.plan("2026-12", filters={"category": ["key"]})
    draw = db.draw("20261201093015482736", "draws/2026-12", plan_id=plan.plan_id)
    assert verify_bundle("draws/2026-12") == []
    db.import_results(draw.draw_id, "检查结果.xlsx")
    db.publish(draw.draw_id, "公示", formats=[PublicFormat.HTML])

Errors a user can fix are ``InspectSchedError`` subclasses (``inspect_sched.errors``) whose
message says what to do. Heavy modules (SQLAlchemy, OR-Tools) load on first use, not on
``import inspect_sched``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.engine import Engine

    from inspect_sched.audit.ledger_view import LedgerRow
    from inspect_sched.outputs.formats import PublicFormat
    from inspect_sched.outputs.publish import PublishOutcome
    from inspect_sched.schema.policy import Policy
    from inspect_sched.services.amend import AmendResult
    from inspect_sched.services.draws import DrawResult, PlanResult
    from inspect_sched.services.results import ResultsSummary
    from inspect_sched.store.db import SchemaChange
    from inspect_sched.store.importers import ImportSummary, Progress
    from inspect_sched.synth.fakedata import GeneratedSummary

PathLike = str | Path


class Database:
    """One inspect-sched database (a SQLAlchemy URL; default $INSPECT_SCHED_DB or ``sqlite:///inspect_sched.db``).

    The schema is created or upgraded on first use, like the commands do; ``init`` says
    what it did.
    """

    def __init__(self, url: str | None = None):
        self.url = url
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from inspect_sched.store.db import ensure_schema, get_engine

            self._engine = get_engine(self.url)
            ensure_schema(self._engine)
        return self._engine

    def init(self) -> SchemaChange:
        """Create the schema or upgrade a database of any earlier release in place."""
        from inspect_sched.store.db import get_engine, init_db

        if self._engine is None:
            self._engine = get_engine(self.url)
        return init_db(self._engine)

    # ------------------------------------------------------------------ pools

    def import_enterprises(self, path: PathLike, replace: bool = False,
                           progress: Progress | None = None) -> ImportSummary:
        """The enterprise pool, upserted by uscc; ``replace`` deletes firms not in the file."""
        from inspect_sched.store.importers import import_enterprises

        return import_enterprises(self.engine, path, replace, progress)

    def import_inspectors(self, path: PathLike, replace: bool = False,
                          progress: Progress | None = None) -> ImportSummary:
        """The inspector pool, upserted by inspector_id; ``replace`` deletes people not in the file."""
        from inspect_sched.store.importers import import_inspectors

        return import_inspectors(self.engine, path, replace, progress)

    def import_positive_list(self, path: PathLike, progress: Progress | None = None) -> ImportSummary:
        from inspect_sched.store.importers import import_positive_list

        return import_positive_list(self.engine, path, progress)

    def import_conflicts(self, path: PathLike, progress: Progress | None = None) -> ImportSummary:
        from inspect_sched.store.importers import import_conflicts

        return import_conflicts(self.engine, path, progress)

    def import_history(self, path: PathLike, replace: bool = False, progress: Progress | None = None) -> ImportSummary:
        from inspect_sched.store.importers import import_history

        return import_history(self.engine, path, replace, progress)

    # ------------------------------------------------------------------ draws

    def plan(self, period: str, *, policy: Policy | None = None, policy_path: PathLike | None = None,
             task: str | None = None, filters: Mapping[str, Iterable[str]] | None = None,
             departments: Iterable[str] = ()) -> PlanResult:
        """Freeze the frame and its probabilities; publish ``.commitment`` before the seed.

        ``filters``: field -> values (district, category, tag, industry, credit, risk);
        ``departments`` of a joint task (default 生态环境)."""
        from inspect_sched.services.draws import build_spec, make_plan

        spec = build_spec(period, policy_path, task, filters, departments, policy=policy)
        return make_plan(self.engine, spec)

    def draw(self, seed: str, out: PathLike, *, plan_id: int | None = None, period: str | None = None,
             policy: Policy | None = None, policy_path: PathLike | None = None, task: str | None = None,
             filters: Mapping[str, Iterable[str]] | None = None, departments: Iterable[str] = ()) -> DrawResult:
        """Sample, assign, record in the ledger and write the bundle to the new folder ``out``.

        From a frozen plan (``plan_id``; ``period``, if given, must be the plan's) or from a
        ``period`` and the same arguments as ``plan``."""
        from inspect_sched.errors import DrawError
        from inspect_sched.services.draws import build_spec, make_draw

        if plan_id is not None:
            if policy is not None or policy_path is not None or task is not None or filters or departments:
                raise DrawError("a plan fixes the policy, task, filters and departments; do not give them again")
            return make_draw(self.engine, seed, out, plan_id=plan_id, period=period)
        if period is None:
            raise DrawError("give a plan id or a period")
        spec = build_spec(period, policy_path, task, filters, departments, policy=policy)
        return make_draw(self.engine, seed, out, spec=spec)

    def export(self, draw_id: int, out: PathLike) -> Path:
        """Write a recorded draw's bundle again, byte for byte, into the new folder ``out``."""
        from inspect_sched.services.draws import export_bundle

        return export_bundle(self.engine, draw_id, out)

    def amend(self, draw_id: int, action: str, reason: str, *, uscc: str = "", inspector_id: str = "",
              usccs: Iterable[str] = ()) -> AmendResult:
        """Amend a recorded draw (SPEC §7): ``action`` is one of ``core.amend.ACTIONS``
        (replace a firm, substitute an inspector); all or nothing, one ledger entry."""
        from inspect_sched.services.amend import amend

        return amend(self.engine, draw_id, action, reason, uscc, inspector_id, list(usccs) or None)

    # ------------------------------------------------------------------ results and outputs

    def import_results(self, draw_id: int, path: PathLike) -> ResultsSummary:
        """Record a results file for a draw: all rows or none, with one ledger entry."""
        from inspect_sched.services.results import import_results

        return import_results(self.engine, path, draw_id)

    def publish(self, draw_id: int, out: PathLike, formats: Iterable[PublicFormat | str] | None = None,
                today: dt.date | None = None) -> PublishOutcome:
        """Publish every result recorded so far (一公开) as a new version of the draw's sheet, in each
        of ``formats`` (default all) plus the JSON sidecar; firms without a result are never named."""
        from inspect_sched.outputs.publish import FORMATS, publish

        return publish(self.engine, draw_id, out, FORMATS if formats is None else formats, today)

    def report(self, year: int, out: PathLike) -> list[Path]:
        """The annual report (xlsx and charts) of ``year`` into folder ``out``; the paths written."""
        from inspect_sched.outputs.report import annual_report

        return annual_report(self.engine, year, out)

    # ------------------------------------------------------------------ ledger

    def ledger(self) -> list[LedgerRow]:
        """Every ledger entry in order."""
        from inspect_sched.audit.ledger_view import ledger_rows

        return ledger_rows(self.engine)

    def verify_ledger(self) -> list[str]:
        """Every problem of the hash chain and the records it vouches for; empty means intact."""
        from inspect_sched.services.ledger import verify_ledger

        return verify_ledger(self.engine)[0]


def verify_bundle(folder: PathLike) -> list[str]:
    """Re-derive a bundle from its own files; every difference (empty: verified). No database."""
    from inspect_sched.audit.verify import verify_bundle as _verify

    return _verify(folder)


def generate_fixtures(out: PathLike, enterprises: int = 3000, inspectors: int = 235,
                      seed: str = "20261201", partner_staff: int | None = None) -> GeneratedSummary:
    """Write synthetic pools (a city like 株洲市) for ``seed`` into folder ``out``;
    ``partner_staff`` 市场监管 joint-check staff are added (default 40 per 235; 0 for none)."""
    from inspect_sched.synth.fakedata import generate

    return generate(enterprises, inspectors, seed, Path(out), partner_staff)


__all__ = ["Database", "verify_bundle", "generate_fixtures"]
