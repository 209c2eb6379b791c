"""Plans and draws against the database: freeze the inputs, sample, assign, record, write.

A draw is recorded in one transaction (plan, draw, bundle files, teams, ledger entry),
and its bundle folder appears under ``--out`` in one rename right after the commit. If
the process dies between the two, the draw is in the ledger and ``export`` writes its
bundle again from the database; nothing is ever half-recorded or half-written.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.audit import ledger
from inspect_sched.audit.bundle import (
    assignment_rows,
    ledger_body,
    manifest_bytes,
    manifest_core,
    plan_commitment,
    sha256_hex,
)
from inspect_sched.audit.bundle_write import derived_files
from inspect_sched.core.derive import Derivation, StratumSummary, plan_strata, summarize
from inspect_sched.core.frame import DrawSpec, normalize_departments, normalize_filters
from inspect_sched.core.inputs import Inputs
from inspect_sched.core.solve import derive
from inspect_sched.errors import DrawError, NotFoundError
from inspect_sched.io.fsutil import check_new_folder, discard_folder, publish_folder, stage_folder
from inspect_sched.schema.periods import Period, parse_period, utc_timestamp
from inspect_sched.schema.policy import Policy, load_policy
from inspect_sched.store.db import session_scope
from inspect_sched.store.models import Draw, DrawFile, DrawFirm, Plan, PlanFile
from inspect_sched.store.queries import require_draw
from inspect_sched.store.snapshot import snapshot

MAX_SEED = 200


def check_seed(seed: str) -> str:
    """SPEC §1: 1–200 printable characters, no ``|``; used as exact UTF-8 bytes."""
    if not 1 <= len(seed) <= MAX_SEED:
        raise DrawError(f"seed must be 1–{MAX_SEED} characters, got {len(seed)}")
    if "|" in seed:
        raise DrawError("seed must not contain '|' (it separates the parts of a ticket)")
    bad = [c for c in seed if not c.isprintable()]
    if bad:
        raise DrawError(f"seed contains a control character {bad[0]!r}; use digits from a public source")
    return seed


def auto_seed() -> str:
    """24 random digits from ``secrets``; not publicly verifiable, and the CLI says so."""
    return "".join(str(secrets.randbelow(10)) for _ in range(24))


def build_spec(
    period: str | Period, policy_path: str | Path | None = None, task: str | None = None,
    filters: Mapping[str, Iterable[str]] | None = None, departments: Iterable[str] = (),
    policy: Policy | None = None,
) -> DrawSpec:
    """What a draw is asked to do. ``filters``: field -> accepted values (定向抽查, e.g.
    ``{"district": ["荷塘区"], "category": ["key"]}``); ``departments`` of a joint task
    (default 生态环境 alone); ``policy`` or a TOML file at ``policy_path`` (default built in)."""
    pol = policy or load_policy(policy_path)
    return DrawSpec(
        period=period if isinstance(period, Period) else parse_period(period),
        task=(task or pol.task).strip(),
        policy=pol,
        filters=normalize_filters(filters or {}),
        departments=normalize_departments(departments),
    )


@dataclass(frozen=True)
class PlanResult:
    plan_id: int
    commitment: str
    spec: DrawSpec
    strata: dict[str, StratumSummary]


def _freeze(session: Session, spec: DrawSpec) -> tuple[Inputs, dict[str, bytes], str]:
    inputs = snapshot(session, spec.period.label, spec.task, spec.filters)
    if not inputs.firms:
        shown = f" {spec.filters}" if spec.filters else ""
        raise DrawError(f"the frame is empty: no enterprise passes the filters{shown}. "
                        "Import enterprises first or loosen the filters.", hint="empty_frame", shown=shown)
    files = inputs.to_csv_files()
    return inputs, files, plan_commitment(spec, files)


def _store_plan(session: Session, spec: DrawSpec, files: dict[str, bytes], commitment: str) -> Plan:
    d = spec.as_dict()
    plan = Plan(
        created_at=utc_timestamp(), period=spec.period.label, task=spec.task,
        policy_json=json.dumps(d["policy"], ensure_ascii=False, sort_keys=True),
        filters_json=json.dumps(d["filters"], ensure_ascii=False, sort_keys=True),
        departments_json=json.dumps(d["departments"], ensure_ascii=False),
        commitment=commitment,
    )
    session.add(plan)
    session.flush()
    for name, content in sorted(files.items()):
        session.add(PlanFile(plan_id=plan.id, name=name, content=content))
    return plan


def make_plan(engine: Engine, spec: DrawSpec) -> PlanResult:
    """Freeze the frame and its probabilities and return the commitment to publish."""
    with session_scope(engine) as session:
        inputs, files, commitment = _freeze(session, spec)
        strata = summarize(plan_strata(inputs, spec))
        plan = _store_plan(session, spec, files, commitment)
        session.flush()
        return PlanResult(plan.id, commitment, spec, strata)


def load_plan(session: Session, plan_id: int) -> tuple[Plan, DrawSpec, dict[str, bytes]]:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"plan {plan_id} does not exist; make a plan first", hint="no_such_plan", plan_id=plan_id)
    spec = DrawSpec.from_dict({
        "period": plan.period, "task": plan.task, "policy": json.loads(plan.policy_json),
        "filters": json.loads(plan.filters_json), "departments": json.loads(plan.departments_json),
    })
    files = {f.name: f.content for f in session.exec(select(PlanFile).where(PlanFile.plan_id == plan_id))}
    return plan, spec, files


@dataclass(frozen=True)
class DrawResult:
    draw_id: int
    sequence: int
    redraw_of: int | None
    out: Path
    manifest_sha256: str
    derivation: Derivation
    plan_id: int
    commitment: str


def make_draw(
    engine: Engine, seed: str, out: str | Path, spec: DrawSpec | None = None, plan_id: int | None = None,
    period: str | None = None,
) -> DrawResult:
    """Sample, assign, record and write the bundle; all or nothing.

    With ``plan_id``, ``period`` (if given) must be the plan's: a guard against drawing
    from the wrong month's frozen frame.
    """
    check_seed(seed)
    out = check_new_folder(out)
    if (spec is None) == (plan_id is None):
        raise DrawError("give either a plan id or a draw spec, not both", hint="plan_or_spec")
    with session_scope(engine) as session:
        if plan_id is not None:
            plan, spec, input_files = load_plan(session, plan_id)
            if period is not None and parse_period(period).label != spec.period.label:
                raise DrawError(f"plan {plan_id} is for period {spec.period.label}, not {period}; "
                                "give the plan's period or make a new plan")
            inputs = Inputs.from_csv_files(input_files)
            commitment = plan.commitment
        else:
            assert spec is not None
            inputs, input_files, commitment = _freeze(session, spec)
    derivation = derive(inputs, spec, seed)  # slow part, outside any lock
    files = derived_files(derivation, input_files)
    tmp: Path | None = None
    try:
        with session_scope(engine) as session:
            at = ledger.head(session)  # takes the ledger lock until commit
            if plan_id is None:
                plan_id = _store_plan(session, spec, input_files, commitment).id
            earlier = session.exec(
                select(Draw).where(Draw.period == spec.period.label, Draw.task == spec.task,
                                   Draw.superseded_by.is_(None))
            ).first()
            created = utc_timestamp()
            draw = Draw(sequence=at.sequence, plan_id=plan_id, period=spec.period.label, task=spec.task,
                        seed=seed, redraw_of=earlier.id if earlier else None, created_at=created,
                        manifest_sha256="", sample_size=len(derivation.sample))
            session.add(draw)
            session.flush()
            if earlier is not None:
                earlier.superseded_by = draw.id
                session.add(earlier)
            core = manifest_core(derivation, files, draw_id=draw.id, sequence=at.sequence,
                                 redraw_of=draw.redraw_of, created_at=created, commitment=commitment)
            body = ledger_body(core)
            entry = ledger.append(session, at, body, draw.id)
            manifest = manifest_bytes(core, at.prev_hash, entry.hash)
            draw.manifest_sha256 = sha256_hex(manifest)
            session.add(draw)
            all_files = {**files, "manifest.json": manifest}
            for name, content in sorted(all_files.items()):
                session.add(DrawFile(draw_id=draw.id, name=name, content=content))
            # The same rows as assignments.csv, so the two can never disagree. One executemany
            # rather than an ORM object per firm (5,000 of them at province scale).
            firm_rows = [
                {"draw_id": draw.id, "uscc": uscc, "name": name, "district": district,
                 "stratum": r.framed.stratum, "inspector_ids": ids, "inspector_names": names}
                for r, (uscc, name, district, _address, ids, names) in zip(
                    derivation.sample, assignment_rows(derivation), strict=True
                )
            ]
            if firm_rows:
                session.flush()  # the draw row first: draw_firm refers to it
                session.execute(insert(DrawFirm.__table__), firm_rows)  # type: ignore[attr-defined]
            tmp = stage_folder(out, all_files, private=True)
            session.flush()
            result = DrawResult(draw.id, at.sequence, draw.redraw_of, out, draw.manifest_sha256,
                                derivation, plan_id, commitment)
    except BaseException:
        if tmp is not None:
            discard_folder(tmp)
        raise
    publish_folder(tmp, out)
    return result


def export_bundle(engine: Engine, draw_id: int, out: str | Path) -> Path:
    """Write a recorded draw's bundle again from the database: byte for byte as drawn, and
    with its amendments (format draw-v2) once it has any."""
    from inspect_sched.services.amend import export_files

    with Session(engine) as session:
        require_draw(session, draw_id)
        # As drawn, plus amendments.csv and assignments-current.csv once it has amendments (SPEC §7).
        files = export_files(session, draw_id)
    tmp = stage_folder(out, files, private=True)
    publish_folder(tmp, out)
    return Path(out)
