"""Lookups several layers need, each written once."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, select

from inspect_sched.errors import NotFoundError
from inspect_sched.store.models import Draw, DrawFile, Inspector


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
