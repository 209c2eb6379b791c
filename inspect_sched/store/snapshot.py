"""Read the pools from the database into a frozen ``Inputs`` for one draw.

History is what was imported, plus what earlier draws imply: a recorded draw's firms
count as ``random`` inspections on its period's first day, unless results were recorded
(then the results' real dates count, and they are already history rows). A redraw is
built as if the draw it supersedes had never been made (SPEC §2).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from inspect_sched.core.frame import passes_filters
from inspect_sched.core.inputs import (
    Conflict,
    Firm,
    Inputs,
    Inspection,
    InspectorRec,
    PositiveEntry,
    split_list,
)
from inspect_sched.schema.periods import parse_period
from inspect_sched.store.models import (
    ConflictEntry,
    Draw,
    DrawFirm,
    Enterprise,
    HistoryEntry,
    Inspector,
    PositiveListEntry,
    Result,
)


def snapshot(session: Session, period: str, task: str, filters: dict[str, tuple[str, ...]]) -> Inputs:
    e = Enterprise.__table__.c
    # Plain tuples fetched at once (not Row objects one fetchone at a time): 100k firms.
    firms = [
        Firm(uscc, name, district, category, credit, risk, status, industry or "", address or "",
             split_list(tags or ""))
        for uscc, name, district, category, credit, risk, status, industry, address, tags in session.execute(
            select(e.uscc, e.name, e.district, e.category, e.credit, e.risk, e.status, e.industry, e.address,
                   e.tags)
        ).tuples().all()
    ]
    firms = [f for f in firms if passes_filters(f, filters)]
    in_frame = {f.uscc for f in firms}
    i = Inspector.__table__.c
    inspectors = [
        InspectorRec(r.inspector_id, r.name, r.unit or "", r.district or "", r.department,
                     r.cert_valid_until, bool(r.active), split_list(r.specialties or ""))
        for r in session.execute(select(i.inspector_id, i.name, i.unit, i.district, i.department,
                                        i.cert_valid_until, i.active, i.specialties))
    ]
    p = PositiveListEntry.__table__.c
    positive = [
        PositiveEntry(r.uscc, r.start, r.end)
        for r in session.execute(select(p.uscc, p.start, p.end)) if r.uscc in in_frame
    ]
    c = ConflictEntry.__table__.c
    conflicts = [
        Conflict(r.inspector_id, r.uscc, r.reason or "")
        for r in session.execute(select(c.inspector_id, c.uscc, c.reason)) if r.uscc in in_frame
    ]
    h = HistoryEntry.__table__.c
    history = [
        Inspection(uscc, date, kind, split_list(ids or ""), "import" if draw_id is None else f"result:{draw_id}")
        for uscc, date, kind, ids, draw_id in session.execute(
            select(h.uscc, h.date, h.kind, h.inspector_ids, h.draw_id)
        ).tuples().all()
        if uscc in in_frame
    ]
    history += _implied_by_draws(session, period, task, in_frame)
    return Inputs(firms, inspectors, positive, conflicts, history).sorted()


def _implied_by_draws(session: Session, period: str, task: str, in_frame: set[str]) -> list[Inspection]:
    out = []
    draws = session.execute(
        select(Draw.id, Draw.period, Draw.task).where(Draw.superseded_by.is_(None))
    ).all()
    with_results = {
        (r.draw_id, r.uscc) for r in session.execute(select(Result.draw_id, Result.uscc))
    }
    for draw_id, d_period, d_task in draws:
        if (d_period, d_task) == (period, task):
            continue  # this draw will be superseded by the one being made
        first = parse_period(d_period).first_day
        for f in session.execute(
            select(DrawFirm.uscc, DrawFirm.inspector_ids).where(DrawFirm.draw_id == draw_id)
        ):
            if f.uscc in in_frame and (draw_id, f.uscc) not in with_results:
                out.append(Inspection(f.uscc, first, "random", split_list(f.inspector_ids), f"draw:{draw_id}"))
    return out
