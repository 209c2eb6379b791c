"""Read-only views of the ledger for the CLI."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session

from inspect_sched.audit import ledger
from inspect_sched.store.models import Draw


def ledger_rows(engine: Engine) -> list[str]:
    """One line per entry: sequence, time, kind, period, task, seed, redraw marker, hash."""
    with Session(engine) as session:
        out = []
        for e in ledger.entries(session):
            b = json.loads(e.body)
            if e.kind == "draw":
                d = session.get(Draw, e.draw_id)
                mark = f" REDRAW of {b['redraw_of']}" if b.get("redraw_of") else ""
                sup = f" (superseded by {d.superseded_by})" if d is not None and d.superseded_by else ""
                manifest = d.manifest_sha256[:16] if d is not None else "MISSING"
                out.append(
                    f"#{e.sequence} {b['created_at']} draw {e.draw_id} {b['period']} {b['task']} "
                    f"seed={b['seed']}{mark}{sup} manifest={manifest}… hash={e.hash[:16]}…"
                )
            elif e.kind == "amend":
                what = _amend_text(b.get("action", ""), b.get("rows", []))
                out.append(f"#{e.sequence} {b.get('created_at', '')} amend draw {e.draw_id} "
                           f"#{b.get('amendment')} {what} reason={b.get('reason', '')!r} hash={e.hash[:16]}…")
            else:
                out.append(f"#{e.sequence} {b.get('created_at', '')} {e.kind} draw {e.draw_id} hash={e.hash[:16]}…")
        return out


def _amend_text(action: str, rows: list[list[str]]) -> str:
    cells = [(list(r) + ["", "", "", ""])[:4] for r in rows if isinstance(r, list)]
    if action == "replace-firm":
        return "; ".join(f"replace-firm {u} -> {new} team {team}" for u, _i, new, team in cells)
    who = cells[0][1] if cells else ""
    return f"{action} {who}: " + ", ".join(f"{u} -> {new}" for u, _i, new, _t in cells)

