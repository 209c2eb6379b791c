"""Read-only views of the ledger: one record per entry, for any caller to show."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from inspect_sched.audit import ledger
from inspect_sched.store.models import Draw


@dataclass(frozen=True)
class LedgerRow:
    """An entry as a reader wants it; the draw fields are set for ``kind == "draw"`` only."""

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


def ledger_rows(engine: Engine) -> list[LedgerRow]:
    """Every ledger entry in order."""
    with Session(engine) as session:
        out = []
        for e in ledger.entries(session):
            b = json.loads(e.body)
            if e.kind == "draw":
                d = session.get(Draw, e.draw_id)
                out.append(LedgerRow(
                    e.sequence, e.kind, e.draw_id, b["created_at"], e.hash, b["period"], b["task"], b["seed"],
                    b.get("redraw_of"), d.superseded_by if d is not None else None,
                    d.manifest_sha256 if d is not None else None,
                ))
            else:
                out.append(LedgerRow(e.sequence, e.kind, e.draw_id, b.get("created_at", ""), e.hash, body=b))
        return out
