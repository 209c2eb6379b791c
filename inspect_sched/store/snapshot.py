"""Read the pools from the database into a frozen ``Inputs`` for one draw.

History is what was imported, plus what earlier draws imply: a recorded draw's firms
count as ``random`` inspections on its period's first day, unless results were recorded
(then the results' real dates count, and they are already history rows). After an
amendment, the draw's current firms and teams count, not the ones first drawn. A redraw is
built as if the draw it supersedes had never been made (SPEC §2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

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
from inspect_sched.schema.entities import CONFLICT, ENTERPRISE, HISTORY, INSPECTOR, POSITIVE_LIST, Entity
from inspect_sched.schema.periods import parse_period
from inspect_sched.store.models import (
    Amendment,
    ConflictEntry,
    Draw,
    DrawFirm,
    Enterprise,
    HistoryEntry,
    Inspector,
    PositiveListEntry,
    Result,
)


def _rows(session: Session, model: Any, entity: Entity, *more: str) -> Iterator[tuple[dict[str, Any], Any]]:
    """``(record fields, row)`` per stored row: the entity's frozen, stored columns selected by
    name (never by position), plus the columns ``more`` for the caller."""
    wanted = [f for f in entity.frozen if f.stored]
    c = model.__table__.c
    names = [f.name for f in wanted]
    # Converters chosen once per column and rows fetched at once: 100k firms are read per plan.
    convert = [(n, _converter(f.kind)) for n, f in enumerate(wanted)]
    convert = [(n, fn) for n, fn in convert if fn is not None]
    width = len(wanted)
    for row in session.execute(select(*(c[f.name] for f in wanted), *(c[m] for m in more))).all():
        values = list(row[:width])
        for n, fn in convert:
            values[n] = fn(values[n])
        yield dict(zip(names, values, strict=True)), row


def _list_column(value: Any) -> tuple[str, ...]:
    return split_list(value or "")


def _text_column(value: Any) -> Any:
    return "" if value is None else value


def _converter(kind: str):  # noqa: ANN202 - a column converter, or None for "as stored"
    """How a stored column becomes what the frozen record holds (None: the value as stored)."""
    if kind == "list":
        return _list_column
    if kind == "bool":
        return bool
    if kind in ("date", "enum", "uscc", "key"):
        return None
    return _text_column


def snapshot(session: Session, period: str, task: str, filters: dict[str, tuple[str, ...]]) -> Inputs:
    firms = [Firm(**rec) for rec, _ in _rows(session, Enterprise, ENTERPRISE)]
    firms = [f for f in firms if passes_filters(f, filters)]
    in_frame = {f.uscc for f in firms}
    inspectors = [InspectorRec(**rec) for rec, _ in _rows(session, Inspector, INSPECTOR)]
    positive = [PositiveEntry(**rec) for rec, _ in _rows(session, PositiveListEntry, POSITIVE_LIST)
                if rec["uscc"] in in_frame]
    conflicts = [Conflict(**rec) for rec, _ in _rows(session, ConflictEntry, CONFLICT) if rec["uscc"] in in_frame]
    history = [
        Inspection(**rec, source="import" if row.draw_id is None else f"result:{row.draw_id}")
        for rec, row in _rows(session, HistoryEntry, HISTORY, "draw_id")
        if rec["uscc"] in in_frame
    ]
    history += _implied_by_draws(session, period, task, in_frame)
    return Inputs(firms, inspectors, positive, conflicts, history).sorted()


def _implied_by_draws(session: Session, period: str, task: str, in_frame: set[str]) -> list[Inspection]:
    out = []
    draws = session.execute(
        select(col(Draw.id), col(Draw.period), col(Draw.task)).where(col(Draw.superseded_by).is_(None))
    ).all()
    with_results = {
        (r.draw_id, r.uscc) for r in session.execute(select(Result.draw_id, Result.uscc))
    }
    for draw_id, d_period, d_task in draws:
        if (d_period, d_task) == (period, task):
            continue  # this draw will be superseded by the one being made
        first = parse_period(d_period).first_day
        for uscc, ids in _current_teams(session, draw_id).items():
            if uscc in in_frame and (draw_id, uscc) not in with_results:
                out.append(Inspection(uscc=uscc, date=first, kind="random",
                                      inspector_ids=split_list(ids), source=f"draw:{draw_id}"))
    return out


def _current_teams(session: Session, draw_id: int) -> dict[str, str]:
    """The draw's firms after its amendments (SPEC §7): a replaced firm was not inspected
    under it, its replacement is to be, and substitutes change who counts for rotation."""
    teams: dict[str, str] = dict(session.execute(
        select(col(DrawFirm.uscc), col(DrawFirm.inspector_ids)).where(col(DrawFirm.draw_id) == draw_id)).all())
    for a in session.execute(
        select(col(Amendment.action), col(Amendment.uscc), col(Amendment.replacement), col(Amendment.team))
        .where(col(Amendment.draw_id) == draw_id).order_by(col(Amendment.sequence), col(Amendment.id))
    ):
        if a.action == "replace-firm":
            teams.pop(a.uscc, None)
            teams[a.replacement] = a.team
        elif a.uscc in teams:
            teams[a.uscc] = a.team
    return teams
