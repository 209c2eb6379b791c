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
            else:
                out.append(f"#{e.sequence} {p.get('created_at', '')} {printable(e.kind)} draw {e.draw_id} "
                           f"hash={e.hash[:16]}…")
        return out


def verify_ledger(engine: Engine, head: str | None = None) -> tuple[list[str], int]:
    """Problems of the chain (and, with ``head``, whether that published hash is still in it)."""
    with Session(engine) as session:
        try:
            problems = ledger.verify(session)
        except Exception as exc:  # noqa: BLE001 — a last guard: a finding, never a traceback (SPEC §9)
            problems = [f"ledger: cannot be checked ({type(exc).__name__}: {str(exc)[:200]})"]
        entries = ledger.entries(session)
        if head is not None:
            problems += ledger.head_problems(entries, head)
        return problems, len(entries)


def ledger_head(engine: Engine) -> tuple[int, str]:
    """The latest entry's sequence and hash: what to publish so that later removals show."""
    with Session(engine) as session:
        entries = ledger.entries(session)
    if not entries:
        raise NotFoundError("the ledger is empty: no draw has been made yet")
    return entries[-1].sequence, entries[-1].hash
