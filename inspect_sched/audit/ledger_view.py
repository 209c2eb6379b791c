"""Read-only views of the ledger for the CLI."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session

from inspect_sched.audit import ledger
from inspect_sched.errors import NotFoundError
from inspect_sched.io.text import printable
from inspect_sched.store.models import Draw


def ledger_rows(engine: Engine) -> list[str]:
    """One line per entry: sequence, time, kind, period, task, seed, redraw marker, hash.

    Every value from the database goes through ``printable``: a task or seed stored with a
    line break (by an older release, or by hand) cannot forge a line of this listing.
    """
    with Session(engine) as session:
        out = []
        for e in ledger.entries(session):
            try:
                b = json.loads(e.body)
            except (ValueError, RecursionError):
                b = None
            if not isinstance(b, dict):
                out.append(f"#{e.sequence} {printable(e.kind)} (body unreadable) hash={e.hash[:16]}…")
                continue
            p = {k: printable(v) for k, v in b.items()}
            if e.kind == "draw":
                d = session.get(Draw, e.draw_id)
                reason = f" (reason: {p['redraw_reason']})" if b.get("redraw_reason") else ""
                mark = f" REDRAW of {p['redraw_of']}{reason}" if b.get("redraw_of") else ""
                sup = f" (superseded by {d.superseded_by})" if d is not None and d.superseded_by else ""
                manifest = d.manifest_sha256[:16] if d is not None else "MISSING"
                out.append(
                    f"#{e.sequence} {p.get('created_at', '')} draw {e.draw_id} {p.get('period', '')} "
                    f"{p.get('task', '')} seed={p.get('seed', '')}{mark}{sup} manifest={manifest}… "
                    f"hash={e.hash[:16]}…"
                )
            elif e.kind == "amend":
                what = printable(_amend_text(b.get("action", ""), b.get("rows", [])))
                out.append(f"#{e.sequence} {p.get('created_at', '')} amend draw {e.draw_id} "
                           f"#{p.get('amendment')} {what} reason={b.get('reason', '')!r} hash={e.hash[:16]}…")
            else:
                out.append(f"#{e.sequence} {p.get('created_at', '')} {printable(e.kind)} draw {e.draw_id} "
                           f"hash={e.hash[:16]}…")
        return out


def ledger_head(engine: Engine) -> tuple[int, str]:
    """The latest entry's sequence and hash: what to publish so that later removals show."""
    with Session(engine) as session:
        entries = ledger.entries(session)
    if not entries:
        raise NotFoundError("the ledger is empty: no draw has been made yet")
    return entries[-1].sequence, entries[-1].hash


def _amend_text(action: str, rows: list[list[str]]) -> str:
    cells = [(list(r) + ["", "", "", ""])[:4] for r in rows if isinstance(r, list)]
    if action == "replace-firm":
        return "; ".join(f"replace-firm {u} -> {new} team {team}" for u, _i, new, team in cells)
    who = cells[0][1] if cells else ""
    return f"{action} {who}: " + ", ".join(f"{u} -> {new}" for u, _i, new, _t in cells)

