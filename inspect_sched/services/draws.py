"""Plans and draws against the database: freeze the inputs, sample, assign, record, write.

A draw is recorded in one transaction (plan, draw, bundle files, teams, ledger entry),
and its bundle folder appears under ``--out`` in one rename right after the commit. If
the process dies between the two, the draw is in the ledger and ``export`` writes its
bundle again from the database; nothing is ever half-recorded or half-written.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inspect_sched.audit import ledger
from inspect_sched.audit.bundle import (
    ASSIGNMENT_COLUMNS,
    assignment_rows,
    ledger_body,
    manifest_bytes,
    manifest_core,
    plan_commitment,
    sha256_hex,
)
from inspect_sched.audit.bundle_write import derived_files
from inspect_sched.core.assign.rules import Rules
from inspect_sched.core.derive import Derivation, StratumSummary, plan_strata, summarize
from inspect_sched.core.frame import DrawSpec, normalize_departments, normalize_filters
from inspect_sched.core.inputs import Inputs
from inspect_sched.core.solve import derive
from inspect_sched.errors import DrawError, NotFoundError
from inspect_sched.io.fsutil import check_new_folder, discard_folder, publish_folder, stage_folder
from inspect_sched.io.text import clean_name, first_ten, seed_problem
from inspect_sched.schema.periods import Period, parse_period, utc_timestamp
from inspect_sched.schema.policy import Policy, load_policy
from inspect_sched.store.db import session_scope
from inspect_sched.store.models import Draw, DrawFile, DrawFirm, Plan, PlanFile
from inspect_sched.store.queries import require_draw
from inspect_sched.store.snapshot import snapshot


def check_seed(seed: str) -> str:
    """SPEC §1: 1–200 printable characters, no ``|``; used as exact UTF-8 bytes."""
    why = seed_problem(seed)
    if why:
        raise DrawError(why)
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
        task=normalize_task(task or pol.task),
        policy=pol,
        filters=normalize_filters(filters or {}),
        departments=normalize_departments(departments),
    )


def _clean(text: str, label: str, if_empty: str) -> str:
    try:
        cleaned = clean_name(text, label)
    except ValueError as exc:
        raise DrawError(str(exc)) from None
    if not cleaned:
        raise DrawError(if_empty)
    return cleaned


def normalize_task(task: str) -> str:
    """NFKC, stripped, no invisible characters (SPEC §7, §9): no spelling dodges the redraw mark."""
    return _clean(task, "the task name", "the task name is empty; give --task NAME")


MAX_REASON = 500  # as an amendment's reason: it is shown on the public sheet


def check_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    cleaned = _clean(reason, "--reason", "--reason is empty; say why the draw is made again")
    if len(cleaned) > MAX_REASON:
        raise DrawError(f"--reason is {len(cleaned)} characters; keep it under {MAX_REASON} (it is shown on the "
                        "public sheet)")
    return cleaned


@dataclass(frozen=True)
class PlanResult:
    plan_id: int
    commitment: str
    spec: DrawSpec
    strata: dict[str, StratumSummary]
    warnings: tuple[str, ...] = ()


def _check_items(session: Session, spec: DrawSpec) -> None:
    """清单之外无事项: once an item catalogue is imported, the task's items must be in it."""
    from inspect_sched.store.models import InspectionItem

    listed = set(session.exec(select(InspectionItem.name)))
    missing = [i for i in spec.policy.items if i not in listed]
    if listed and missing:
        raise DrawError(
            f"item(s) {'、'.join(missing)} of the policy are not in the 随机抽查事项清单 "
            f"({len(listed)} items imported); fix the policy's items or import the catalogue "
            "(inspect-sched import items FILE)"
        )


def frame_warnings(inputs: Inputs, spec: DrawSpec, pool_districts: set[str] | None = None) -> list[str]:
    """Settings that silently do nothing: a filter value no framed firm has, and (with the
    cross-district rule on) framed districts no inspector belongs to, or inspectors of the task
    whose district no firm of the pool (``pool_districts``) has — usually a spelling difference
    such as 天元 / 天元区 that turns the rule off for them."""
    out = []
    for field, values in sorted(spec.filters.items()):
        if field == "tag":
            have = {t for f in inputs.firms for t in f.tags}
        else:
            have = {getattr(f, field) for f in inputs.firms}
        for v in values:
            if v not in have:
                out.append(f"--filter {field}={v} matches no enterprise; check the spelling")
    if spec.policy.cross_district:
        inspector_districts = {i.district for i in inputs.inspectors if i.district}
        if inspector_districts:
            stray = sorted({f.district for f in inputs.firms} - inspector_districts)
            if stray:
                out.append(f"{len(stray)} district(s) of the frame match no inspector's district "
                           f"({first_ten(stray, '、')}): the cross-district rule cannot apply to their firms; "
                           "check the spelling in both pools")
        rules = Rules.from_policy(spec.policy, spec.departments)
        nowhere = sorted(i.inspector_id for i in inputs.inspectors if i.active and not i.district
                         and i.department in spec.departments and rules.district_bound(i.department, i.unit))
        if nowhere:
            out.append(f"{len(nowhere)} inspector(s) of the task have no 所属区县 ({first_ten(nowhere, '、')}): "
                       "the cross-district rule cannot keep them from their own district's firms; fill it in and "
                       "import the pool again")
        if pool_districts:
            lost = sorted({i.district for i in inputs.inspectors if i.active and i.district
                           and i.department in spec.departments and i.district not in pool_districts
                           and rules.district_bound(i.department, i.unit)})
            if lost:
                out.append(f"{len(lost)} inspector district(s) match no enterprise's district "
                           f"({first_ten(lost, '、')}): "
                           "the cross-district rule cannot keep those inspectors from their own district's firms; "
                           "check the spelling in both pools")
    if isinstance(spec.policy.authority, str) and len(spec.departments) > 1:
        each = "、".join(f"{d} = \"…\"" for d in spec.departments)
        out.append(f"the policy's authority names one 检查实施机关 ({spec.policy.authority}) for every department of "
                   f"this joint task ({'、'.join(spec.departments)}), and the public sheet will say so for each; if "
                   f"each department acts in its own name, write [authority] with {each} instead")
    return out


def _pool_districts(session: Session) -> set[str]:
    from inspect_sched.store.models import Enterprise

    return {d for d in session.exec(select(Enterprise.district).distinct()) if d}


@dataclass(frozen=True)
class Frozen:
    inputs: Inputs
    files: dict[str, bytes]
    commitment: str
    at: int  # the ledger sequence the next entry had when the inputs were read


def _freeze(session: Session, spec: DrawSpec) -> Frozen:
    # Read before the snapshot, so anything recorded meanwhile counts as later (stale-safe).
    at = ledger.next_sequence(session)
    _check_items(session, spec)
    inputs = snapshot(session, spec.period.label, spec.task, spec.filters)
    if not inputs.firms and spec.filters:
        hint = _filter_hint(session, spec.filters)
        if hint:
            raise DrawError("the frame is empty: no enterprise passes the filters. " + hint)
    if not inputs.firms:
        shown = f" {spec.filters}" if spec.filters else ""
        raise DrawError(f"the frame is empty: no enterprise passes the filters{shown}. "
                        "Import enterprises first or loosen the filters.", hint="empty_frame", shown=shown)
    _check_departments(inputs, spec)
    files = inputs.to_csv_files()
    return Frozen(inputs, files, plan_commitment(spec, files), at)


def _check_departments(inputs: Inputs, spec: DrawSpec) -> None:
    """A task department that nobody in the pool belongs to is a typo or a missing import: say so
    before a plan is published that no draw could ever staff."""
    import difflib

    named = spec.policy.authority
    if isinstance(named, dict) and any(d not in named for d in spec.departments):
        lacking = [d for d in spec.departments if d not in named]
        guess = "".join(f"; its \"{c[0]}\" looks like a misspelling of {d}" for d in lacking
                        for c in [difflib.get_close_matches(d, list(named), n=1, cutoff=0.5)] if c)
        raise DrawError(f"the policy's [authority] names no 检查实施机关 for department {'、'.join(lacking)} "
                        f"(it names {'、'.join(named) or 'none'}){guess}. Add \"{lacking[0]}\" = \"…\" under "
                        "[authority]; nothing was recorded")
    counts = Counter(i.department for i in inputs.inspectors)
    missing = [d for d in spec.departments if not counts[d]]
    if not missing or not counts:  # an empty pool: the assignment says "import inspectors"
        return
    pool = "、".join(f"{d} {n}" for d, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])))
    close = {d: difflib.get_close_matches(d, list(counts), n=1, cutoff=0.5) for d in missing}
    guess = "".join(f"; did you mean {c[0]} for {d}" for d, c in close.items() if c)
    names = "、".join(missing)
    raise DrawError(f"no inspector in the pool belongs to department {names} (the pool's departments: {pool})"
                    f"{guess}. Check the spelling of the task's departments, or import that department's inspectors "
                    "first; nothing was recorded", hint="unknown_department", names=names, pool=pool, guess=guess)


def _filter_hint(session: Session, filters: dict[str, tuple[str, ...]]) -> str:
    """For each filter whose values match no firm at all, the values the pool does have."""
    from inspect_sched.store.models import Enterprise

    notes = []
    for field, wanted in filters.items():
        col = Enterprise.tags if field == "tag" else getattr(Enterprise, field)
        present: set[str] = set()
        for (value,) in session.execute(select(col).distinct()):
            present.update(value.split(";") if field == "tag" else [value])
        present.discard("")
        if not present:
            continue
        if not present & set(wanted):
            shown = sorted(present)
            more = f" … ({len(shown)} in all)" if len(shown) > 30 else ""
            notes.append(f"--filter {field}={','.join(wanted)} matches no firm; the pool has "
                         f"{field} = {', '.join(shown[:30])}{more}")
    return "; ".join(notes)


def _store_plan(session: Session, spec: DrawSpec, frozen: Frozen) -> Plan:
    d = spec.as_dict()
    plan = Plan(
        created_at=utc_timestamp(), period=spec.period.label, task=spec.task,
        policy_json=json.dumps(d["policy"], ensure_ascii=False, sort_keys=True),
        filters_json=json.dumps(d["filters"], ensure_ascii=False, sort_keys=True),
        departments_json=json.dumps(d["departments"], ensure_ascii=False),
        commitment=frozen.commitment, ledger_sequence=frozen.at,
    )
    session.add(plan)
    session.flush()
    assert plan.id is not None  # assigned by the flush
    for name, content in sorted(frozen.files.items()):
        session.add(PlanFile(plan_id=plan.id, name=name, content=content))
    return plan


def make_plan(engine: Engine, spec: DrawSpec) -> PlanResult:
    """Freeze the frame and its probabilities and return the commitment to publish."""
    with session_scope(engine) as session:
        frozen = _freeze(session, spec)
        strata = summarize(plan_strata(frozen.inputs, spec))
        plan = _store_plan(session, spec, frozen)
        session.flush()
        assert plan.id is not None  # assigned by the flush in _store_plan
        return PlanResult(plan.id, frozen.commitment, spec, strata,
                          tuple(frame_warnings(frozen.inputs, spec, _pool_districts(session))
                                + redraw_warning(session, spec) + near_task_warnings(session, spec.period, spec.task)))


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


def _created_at(body: str) -> str:
    try:
        value = json.loads(body).get("created_at")
    except (ValueError, RecursionError, AttributeError):
        return "~"  # sorts after every timestamp: an unreadable entry counts as later (stale-safe)
    return value if isinstance(value, str) else "~"


def _plan_at(session: Session, plan: Plan) -> int:
    """Where in the ledger a plan was frozen; for a release-0.1 plan, from its time (conservatively)."""
    if plan.ledger_sequence is not None:
        return plan.ledger_sequence
    earlier = [e.sequence for e in ledger.entries(session) if _created_at(e.body) < plan.created_at]
    return max(earlier, default=0) + 1


def _same_task_draws(session: Session, period: str, task: str) -> frozenset[int]:
    """Draws the frame of a new (period, task) draw ignores (store/snapshot): it would replace them."""
    draws = session.exec(select(Draw).where(Draw.period == period))
    return frozenset(d.id for d in draws if d.id is not None and _same_task(d.task, task))


def check_plan_usable(session: Session, plan: Plan, frame: set[str]) -> list[str]:
    """Refuse a used or stale plan (SPEC §7); return warnings for later results imports."""
    used = session.exec(select(Draw.id).where(Draw.plan_id == plan.id).order_by(col(Draw.id))).first()
    if used is not None:
        raise DrawError(f"plan {plan.id} was already used by draw {used}; a plan is used once. "
                        f"Make a new plan: inspect-sched plan --period {plan.period}")
    later = ledger.entries_since(session, _plan_at(session, plan), frame,
                                 _same_task_draws(session, plan.period, normalize_task(plan.task)))
    if later.touching:
        seq, kind, n = later.touching[0]
        raise DrawError(
            f"plan {plan.id} is stale: ledger entry {seq} ({kind}) was recorded after the plan was made "
            f"and touches {n} firm(s) of its frame, so the exclusions frozen in the plan are wrong. "
            f"Make a new plan: inspect-sched plan --period {plan.period}"
        )
    return later.warnings


def _live_draw(session: Session, period: str, task: str) -> Draw | None:
    """The draw a new one for (period, task) would replace; tasks compared NFKC-normalised."""
    for d in session.exec(select(Draw).where(Draw.period == period, col(Draw.superseded_by).is_(None)).order_by(col(Draw.id))):
        if _same_task(d.task, task):
            return d
    return None


def _same_task(stored: str, task: str) -> bool:
    """A stored task name (an older release may hold one unnormalised) against a normalised one."""
    try:
        return clean_name(stored, "task") == task
    except ValueError:
        return stored == task


def _skeleton(task: str) -> str:
    """A task name without case, spaces, punctuation, symbols or digits: what a clerk's "second
    try" of a name (``日常双随机抽查(2)``, ``日常双随机抽查 二``…) keeps of the first."""
    text = unicodedata.normalize("NFKC", task).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZN" and ch not in _NUMERALS)


_NUMERALS = frozenset("〇一二三四五六七八九十")


def near_task_warnings(session: Session, period: Period, task: str) -> list[str]:
    """Other live draws that overlap ``period``: a new draw beside them is not a redraw (that
    is the same period and task), so they stay live and their firms stay due. Said, so that a
    typo, a second try under a near name or a quarter over a drawn month is never unawares."""
    out = []
    key = _skeleton(task)
    for d in session.exec(select(Draw).where(col(Draw.superseded_by).is_(None)).order_by(col(Draw.id))):
        try:
            other = parse_period(d.period)
        except ValueError:
            continue
        if other.last_day < period.first_day or other.first_day > period.last_day:
            continue
        same = _same_task(d.task, task)
        if same and other.label == period.label:
            continue  # the redraw itself: _check_redraw speaks for it
        redo = f"To draw that task again, use --period {d.period} --task {d.task!r} with --reason TEXT"
        if same:
            out.append(f"draw {d.id} for {d.period} has the same task and overlaps {period.label}: this draw is "
                       f"not a redraw of it, so draw {d.id} stays live and its firms stay due (they may be drawn "
                       f"again here). {redo}")
        elif other.label == period.label and key and _skeleton(d.task) == key:
            out.append(f"draw {d.id} for {period.label} has the task {d.task!r}, close to {task!r}: this is a "
                       f"separate task, not a redraw, so draw {d.id} stays live and its firms stay due. {redo}")
        else:
            out.append(f"draw {d.id} for {d.period} (task {d.task!r}) is also live in {period.label}: this draw "
                       f"is a separate task, not a redraw of it. {redo}")
    return out


def redraw_warning(session: Session, spec: DrawSpec) -> list[str]:
    """A plan for a period and task with a live draw: a draw from it will be a redraw."""
    earlier = _live_draw(session, spec.period.label, spec.task)
    if earlier is None:
        return []
    return [f"draw {earlier.id} is live for {spec.period.label} {spec.task!r}: a draw from this plan is a REDRAW, "
            "shown publicly as such, and needs --reason TEXT"]


def _check_redraw(earlier: Draw | None, reason: str | None, spec: DrawSpec) -> None:
    if earlier is not None and reason is None:
        raise DrawError(
            f"draw {earlier.id} already exists for {spec.period.label} {spec.task!r}: drawing again is a REDRAW, "
            "shown publicly as such; give --reason TEXT saying why (nothing was recorded)"
        )


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
    warnings: tuple[str, ...] = ()


def make_draw(
    engine: Engine, seed: str, out: str | Path, spec: DrawSpec | None = None, plan_id: int | None = None,
    period: str | None = None, reason: str | None = None,
) -> DrawResult:
    """Sample, assign, record and write the bundle; all or nothing.

    With ``plan_id``, ``period`` (if given) must be the plan's: a guard against drawing
    from the wrong month's frozen frame. A redraw (a live draw exists for the period and
    task) needs ``reason``. Every check that depends on the ledger runs again under the
    ledger lock, so two draws started at once cannot both pass on the same stale inputs.
    """
    check_seed(seed)
    reason = check_reason(reason)
    out = check_new_folder(out)
    if (spec is None) == (plan_id is None):
        raise DrawError("give either a plan id or a draw spec, not both", hint="plan_or_spec")
    warnings: list[str] = []
    with session_scope(engine) as session:
        if plan_id is not None:
            plan, spec, input_files = load_plan(session, plan_id)
            if plan_commitment(spec, input_files) != plan.commitment:
                raise DrawError(f"plan {plan_id}: its stored frozen files or settings no longer give the commitment "
                                f"it published ({plan.commitment[:16]}…): they were changed after it was made. "
                                "`ledger verify` names the change; make a new plan. Nothing was recorded")
            if period is not None and parse_period(period).label != spec.period.label:
                raise DrawError(f"plan {plan_id} is for period {spec.period.label}, not {period}; "
                                "give the plan's period or make a new plan")
            # A release-0.1 plan (no ledger_sequence) froze its files without formula escaping.
            inputs = Inputs.from_csv_files(input_files, unescape=plan.ledger_sequence is not None)
            frozen = Frozen(inputs, input_files, plan.commitment, _plan_at(session, plan))
            warnings = check_plan_usable(session, plan, {f.uscc for f in inputs.firms})
        else:
            assert spec is not None
            frozen = _freeze(session, spec)
        _check_redraw(_live_draw(session, spec.period.label, spec.task), reason, spec)
        warnings += near_task_warnings(session, spec.period, spec.task)
        pool_districts = _pool_districts(session)
    frame = {f.uscc for f in frozen.inputs.firms}
    warnings += frame_warnings(frozen.inputs, spec, pool_districts)
    derivation = derive(frozen.inputs, spec, seed)  # slow part, outside any lock
    # A draw without a plan froze its inputs just now, as this format writes them: reuse the
    # bytes. A plan's stored files are read back and written again (a release-0.1 plan froze
    # them without formula escaping).
    files = derived_files(derivation, input_files=frozen.files if plan_id is None else None)
    tmp: Path | None = None
    try:
        with session_scope(engine) as session:
            at = ledger.head(session)  # takes the ledger lock until commit
            if plan_id is None:
                later = ledger.entries_since(session, frozen.at, frame,
                                             _same_task_draws(session, spec.period.label, spec.task))
                if later.touching:
                    seq, kind, n = later.touching[0]
                    raise DrawError(
                        f"ledger entry {seq} ({kind}) was recorded while this draw was being made and touches "
                        f"{n} firm(s) of its frame; nothing was recorded: run the draw again"
                    )
                plan_id = _store_plan(session, spec, frozen).id
                assert plan_id is not None  # assigned by the flush in _store_plan
            else:
                locked = session.get(Plan, plan_id)
                assert locked is not None
                check_plan_usable(session, locked, frame)
            earlier = _live_draw(session, spec.period.label, spec.task)
            _check_redraw(earlier, reason, spec)
            created = utc_timestamp()
            draw = Draw(sequence=at.sequence, plan_id=plan_id, period=spec.period.label, task=spec.task,
                        seed=seed, redraw_of=earlier.id if earlier else None, created_at=created,
                        manifest_sha256="", sample_size=len(derivation.sample),
                        redraw_reason=reason if earlier else None)
            session.add(draw)
            session.flush()
            assert draw.id is not None  # assigned by the flush
            if earlier is not None:
                earlier.superseded_by = draw.id
                session.add(earlier)
            core = manifest_core(derivation, files, draw_id=draw.id, sequence=at.sequence,
                                 redraw_of=draw.redraw_of, created_at=created, commitment=frozen.commitment,
                                 redraw_reason=reason if earlier else None)
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
                    derivation.sample, assignment_rows(derivation, list(ASSIGNMENT_COLUMNS)), strict=True
                )
            ]
            if firm_rows:
                session.flush()  # the draw row first: draw_firm refers to it
                session.execute(insert(DrawFirm.__table__), firm_rows)  # type: ignore[attr-defined]
            tmp = stage_folder(out, all_files, private=True)
            session.flush()
            result = DrawResult(draw.id, at.sequence, draw.redraw_of, out, draw.manifest_sha256,
                                derivation, plan_id, frozen.commitment, tuple(warnings))
    except BaseException:
        if tmp is not None:
            discard_folder(tmp)
        raise
    publish_folder(tmp, out)
    return result


@dataclass(frozen=True)
class PlanInfo:
    plan_id: int
    period: str
    task: str
    filters: str
    departments: str
    created_at: str
    commitment: str
    used_by: int | None
    files: list[tuple[str, str]]


def _plan_info(session: Session, plan: Plan, with_files: bool) -> PlanInfo:
    used = session.exec(select(Draw.id).where(Draw.plan_id == plan.id).order_by(col(Draw.id))).first()
    files = []
    if with_files:
        files = [(f.name, sha256_hex(f.content))
                 for f in session.exec(select(PlanFile).where(PlanFile.plan_id == plan.id).order_by(col(PlanFile.name)))]
    filters = "; ".join(f"{k}={','.join(v)}" for k, v in sorted(json.loads(plan.filters_json).items()))
    assert plan.id is not None
    return PlanInfo(plan.id, plan.period, plan.task, filters, ",".join(json.loads(plan.departments_json)),
                    plan.created_at, plan.commitment, used, files)


def list_plans(engine: Engine) -> list[PlanInfo]:
    """Every stored plan, oldest first (``plan list``)."""
    with Session(engine) as session:
        return [_plan_info(session, p, False) for p in session.exec(select(Plan).order_by(col(Plan.id)))]


def show_plan(engine: Engine, plan_id: int) -> PlanInfo:
    """One plan with the SHA-256 of each frozen file (``plan show ID``)."""
    with Session(engine) as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise NotFoundError(f"plan {plan_id} does not exist; `inspect-sched plan list` shows the plans")
        return _plan_info(session, plan, True)


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
