"""How the command line shows what the library returns: the library returns data, never text."""

from __future__ import annotations

from typing import Any

from inspect_sched.services.results import ResultsSummary
from inspect_sched.store.db import SchemaChange
from inspect_sched.store.importers import ImportSummary


def schema_change(c: SchemaChange) -> str:
    if c.before is None:
        return f"created the schema (revision {c.after})"
    if not c.changed:
        return f"schema is up to date (revision {c.after})"
    return f"upgraded the schema from revision {c.before} to {c.after}"


def import_summary(s: ImportSummary) -> str:
    text = (f"{s.kind}: {s.total:,} rows — {s.inserted:,} inserted, "
            f"{s.updated:,} updated, {s.unchanged:,} unchanged")
    if s.deleted:
        text += f", {s.deleted:,} deleted (not in the file)"
    return text


def results_summary(s: ResultsSummary) -> str:
    lines = [
        f"draw {s.draw_id}: {s.inserted + s.replaced} result(s) imported "
        f"({s.inserted} new, {s.replaced} replaced); {s.recorded} of {s.drawn} drawn firms "
        f"now have results. Ledger entry #{s.sequence}, results sha256 {s.results_sha256}",
    ]
    if s.recorded < s.drawn:
        lines.append(f"  {s.drawn - s.recorded} firm(s) still without results; "
                     "`publish` publishes the results recorded so far and never names these")
    for d in s.deviations:
        lines.append(f"  deviates from the assignment: {d}")
    for w in s.warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def ledger_row(e: Any) -> str:
    """One line per ledger entry (``ledger_view.LedgerRow``): sequence, time, kind, what, hash."""
    if e.kind == "draw":
        mark = f" REDRAW of {e.redraw_of}" if e.redraw_of else ""
        sup = f" (superseded by {e.superseded_by})" if e.superseded_by else ""
        manifest = e.manifest_sha256[:16] if e.manifest_sha256 is not None else "MISSING"
        return (f"#{e.sequence} {e.created_at} draw {e.draw_id} {e.period} {e.task} "
                f"seed={e.seed}{mark}{sup} manifest={manifest}… hash={e.hash[:16]}…")
    if e.kind == "amend":
        b = e.body
        what = _amend_text(b.get("action", ""), b.get("rows", []))
        return (f"#{e.sequence} {e.created_at} amend draw {e.draw_id} #{b.get('amendment')} {what} "
                f"reason={b.get('reason', '')!r} hash={e.hash[:16]}…")
    if e.kind == "publish":
        b = e.body
        return (f"#{e.sequence} {e.created_at} publish draw {e.draw_id} version {b.get('version')}, "
                f"{b.get('count')} firm(s), {len(b.get('files') or {})} file(s) hash={e.hash[:16]}…")
    return f"#{e.sequence} {e.created_at} {e.kind} draw {e.draw_id} hash={e.hash[:16]}…"


def _amend_text(action: str, rows: list[list[str]]) -> str:
    cells = [(list(r) + ["", "", "", ""])[:4] for r in rows if isinstance(r, list)]
    if action == "replace-firm":
        return "; ".join(f"replace-firm {u} -> {new} team {team}" for u, _i, new, team in cells)
    who = cells[0][1] if cells else ""
    return f"{action} {who}: " + ", ".join(f"{u} -> {new}" for u, _i, new, _t in cells)


def publish_outcome(o: Any) -> str:
    """What ``publish`` did (``outputs.publish.PublishOutcome``)."""
    head = (f"draw {o.draw_id}: published version {o.version} (ledger #{o.sequence}): "
            if o.new else
            f"draw {o.draw_id}: nothing new since version {o.version}; its files written again: ")
    lines = [head + f"{o.published} firm(s) with results"
             + (f"; {o.pending} still pending (not named)" if o.pending else "")]
    lines += [f"  wrote {p}" for p in o.paths]
    return "\n".join(lines)
