"""How the command line shows what the library returns: the library returns data, never text."""

from __future__ import annotations

from typing import Any

from inspect_sched.io.text import printable
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
    if s.kept:
        text += (f"\n  not in the file, so kept as stored for the {s.updated + s.unchanged:,} existing row(s): "
                 f"{', '.join(s.kept)}")
    return text


def results_summary(s: ResultsSummary) -> str:
    same = f", {s.unchanged} unchanged" if s.unchanged else ""
    if s.sequence is None:
        lines = [f"draw {s.draw_id}: nothing new: all {s.unchanged} row(s) equal the results already recorded "
                 f"(no ledger entry); {s.recorded} of {s.drawn} drawn firms have results"]
    else:
        lines = [
            f"draw {s.draw_id}: {s.inserted + s.replaced} result(s) imported "
            f"({s.inserted} new, {s.replaced} replaced{same}); {s.recorded} of {s.drawn} drawn firms "
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
    """One line per ledger entry (``ledger_view.LedgerRow``): sequence, time, kind, what, hash.

    Every stored value goes through ``printable``: a task or seed stored with a line break
    (by an older release, or by hand) cannot forge a line of this listing.
    """
    P = printable
    if not e.readable:
        return f"#{e.sequence} {P(e.kind)} (body unreadable) hash={e.hash[:16]}…"
    if e.kind == "draw":
        reason = f" (reason: {P(e.redraw_reason)})" if e.redraw_reason else ""
        mark = f" REDRAW of {P(e.redraw_of)}{reason}" if e.redraw_of else ""
        sup = f" (superseded by {e.superseded_by})" if e.superseded_by else ""
        manifest = e.manifest_sha256[:16] if e.manifest_sha256 is not None else "MISSING"
        return (f"#{e.sequence} {P(e.created_at)} draw {e.draw_id} {P(e.period)} {P(e.task)} "
                f"seed={P(e.seed)}{mark}{sup} manifest={manifest}… hash={e.hash[:16]}…")
    b = e.body
    if e.kind == "amend":
        what = P(_amend_text(b.get("action", ""), b.get("rows", [])))
        return (f"#{e.sequence} {P(e.created_at)} amend draw {e.draw_id} #{P(b.get('amendment'))} {what} "
                f"reason={P(b.get('reason', ''))!r} hash={e.hash[:16]}…")
    if e.kind == "publish":
        return (f"#{e.sequence} {P(e.created_at)} publish draw {e.draw_id} version {P(b.get('version'))}, "
                f"{P(b.get('count'))} firm(s), {len(b.get('files') or {})} file(s) hash={e.hash[:16]}…")
    return f"#{e.sequence} {P(e.created_at)} {P(e.kind)} draw {e.draw_id} hash={e.hash[:16]}…"


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
    removed = getattr(o, "removed", 0)
    lines = [head + f"{o.published} firm(s) with results"
             + (f" ({removed} of them a removed firm's own result, besides the current firms)" if removed else "")
             + (f"; {o.pending} still pending (not named)" if o.pending else "")]
    lines += [f"  wrote {p}" for p in o.paths]
    return "\n".join(lines)
