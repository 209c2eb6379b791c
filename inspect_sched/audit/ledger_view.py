"""Read-only views of the ledger: one record per entry, for any caller to show."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from inspect_sched.audit import ledger
from inspect_sched.errors import NotFoundError
from inspect_sched.store.models import Draw


@dataclass(frozen=True)
class LedgerRow:
    """An entry as a reader wants it; the draw fields are set for ``kind == "draw"`` only.

    Values are as stored: a reader that prints them must make them printable (a task or seed
    stored with a line break, by an older release or by hand, must not forge a line).
    """

    sequence: int
    kind: str
    draw_id: int | None
    created_at: str
    hash: str
    period: str = ""
    task: str = ""
    seed: str = ""
    redraw_of: int | None = None
    superseded_by: int | None = None
    manifest_sha256: str | None = None  # None: the draw is missing from the database
    body: dict[str, Any] = field(default_factory=dict)  # the entry's body, for the other kinds
    redraw_reason: str = ""
    readable: bool = True  # False: the stored body is not a JSON object


def ledger_rows(engine: Engine) -> list[LedgerRow]:
    """Every ledger entry in order; an unreadable body gives a row marked ``readable=False``."""
    with Session(engine) as session:
        out = []
        for e in ledger.entries(session):
            try:
                b = json.loads(e.body)
            except (ValueError, RecursionError):
                b = None
            if not isinstance(b, dict):
                out.append(LedgerRow(e.sequence, e.kind, e.draw_id, "", e.hash, readable=False))
                continue
            if e.kind == "draw":
                d = session.get(Draw, e.draw_id)
                out.append(LedgerRow(
                    e.sequence, e.kind, e.draw_id, str(b.get("created_at", "")), e.hash,
                    str(b.get("period", "")), str(b.get("task", "")), str(b.get("seed", "")),
                    b.get("redraw_of"), d.superseded_by if d is not None else None,
                    d.manifest_sha256 if d is not None else None, b, str(b.get("redraw_reason") or ""),
                ))
            else:
                out.append(LedgerRow(e.sequence, e.kind, e.draw_id, str(b.get("created_at", "")), e.hash, body=b))
        return out


def ledger_head(engine: Engine) -> tuple[int, str]:
    """The latest entry's sequence and hash: what to publish so that later removals show."""
    with Session(engine) as session:
        entries = ledger.entries(session)
    if not entries:
        raise NotFoundError("the ledger is empty: no draw has been made yet")
    return entries[-1].sequence, entries[-1].hash
