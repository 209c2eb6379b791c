"""Lookups several layers need, each written once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlmodel import Session, col, select

from inspect_sched.core import amend as core
from inspect_sched.errors import NotFoundError
from inspect_sched.store.models import Amendment, Draw, DrawFile, DrawFirm, Inspector


def require_draw(session: Session, draw_id: int) -> Draw:
    """The draw ``draw_id``, or ``NotFoundError`` (hint ``no_such_draw``)."""
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFoundError(f"draw {draw_id} does not exist", hint="no_such_draw", draw_id=draw_id)
    return draw


def bundle_inspector_names(session: Session, draw_id: int) -> dict[str, str]:
    """Inspector id -> name as frozen in the draw's bundle (``inputs/inspectors.csv``)."""
    f = session.get(DrawFile, (draw_id, "inputs/inspectors.csv"))
    if f is None:
        return {}
    return {r["inspector_id"]: r["name"] for r in csv.DictReader(io.StringIO(f.content.decode("utf-8")))}


def inspector_names(session: Session, draw_id: int, ids: set[str]) -> dict[str, str]:
    """Names for ``ids``: the bundle's frozen pool first, the current pool for anyone newer."""
    names = bundle_inspector_names(session, draw_id)
    missing = sorted(ids - set(names))
    for start in range(0, len(missing), 500):
        chunk = missing[start:start + 500]
        for i in session.exec(select(Inspector).where(Inspector.inspector_id.in_(chunk))):
            names[i.inspector_id] = i.name
    return names


# --------------------------------------------------------------------------- amendments


def recorded_amendments(session: Session, draw_id: int) -> list[core.Recorded]:
    rows = session.exec(select(Amendment).where(Amendment.draw_id == draw_id)
                        .order_by(col(Amendment.sequence), col(Amendment.id))).all()
    groups: dict[int, list[Amendment]] = {}
    for a in rows:
        groups.setdefault(a.sequence, []).append(a)
    return [
        core.Recorded(seq, tuple(core.Row(a.action, a.uscc, a.inspector_id, a.replacement,
                                          tuple(x for x in a.team.split(";") if x)) for a in items),
                      items[0].reason, items[0].created_at)
        for seq, items in sorted(groups.items())
    ]


@dataclass(frozen=True)
class CurrentFirm:
    uscc: str
    name: str
    district: str
    inspector_ids: str  # the current (or, for a removed firm, last) team, ;-joined
    status: str  # "drawn", "removed" or "replacement"
    stratum: str = ""
    replaces: str | None = None  # for a replacement: the removed firm's uscc
    replaced_by: str | None = None  # for a removed firm: its replacement


def current_firms(session: Session, draw_id: int) -> list[CurrentFirm]:
    """Every firm ever in the draw with its current team; removed firms included (marked).

    Cheap: the drawn rows and the amendment rows, no re-derivation.
    """
    firms = {f.uscc: f for f in session.exec(select(DrawFirm).where(DrawFirm.draw_id == draw_id))}
    out: dict[str, CurrentFirm] = {
        u: CurrentFirm(u, f.name, f.district, f.inspector_ids, "drawn", f.stratum) for u, f in sorted(firms.items())
    }
    recorded = recorded_amendments(session, draw_id)
    if not recorded:
        return list(out.values())
    enterprises = _bundle_enterprises(session, draw_id)
    for a in recorded:
        for r in a.rows:
            team = ";".join(sorted(r.team))
            if r.action == core.REPLACE:
                old = out[r.uscc]
                out[r.uscc] = CurrentFirm(old.uscc, old.name, old.district, old.inspector_ids, "removed",
                                          old.stratum, old.replaces, r.replacement)
                e = enterprises.get(r.replacement, {})
                out[r.replacement] = CurrentFirm(r.replacement, e.get("name", ""), e.get("district", ""), team,
                                                 "replacement", old.stratum, r.uscc)
            elif r.uscc in out:
                old = out[r.uscc]
                out[r.uscc] = CurrentFirm(old.uscc, old.name, old.district, team, old.status, old.stratum,
                                          old.replaces, old.replaced_by)
    return list(out.values())


def _bundle_enterprises(session: Session, draw_id: int) -> dict[str, dict[str, str]]:
    f = session.get(DrawFile, (draw_id, "inputs/enterprises.csv"))
    if f is None:
        return {}
    return {r["uscc"]: r for r in csv.DictReader(io.StringIO(f.content.decode("utf-8")))}


def replacement_count(session: Session, draw_id: int) -> int:
    return len(session.exec(select(Amendment.id).where(Amendment.draw_id == draw_id,
                                                       Amendment.action == core.REPLACE)).all())


# --------------------------------------------------------------------------- export
