"""Lookups several layers need, each written once."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from inspect_sched.core import amend as core
from inspect_sched.errors import NotFoundError
from inspect_sched.io.text import csv_unescape
from inspect_sched.schema.policy import policy_from_dict
from inspect_sched.store.models import Amendment, Draw, DrawFile, DrawFirm, FollowUp, Inspector, ItemResult


def require_draw(session: Session, draw_id: int) -> Draw:
    """The draw ``draw_id``, or ``NotFoundError`` (hint ``no_such_draw``)."""
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFoundError(f"draw {draw_id} does not exist", hint="no_such_draw", draw_id=draw_id)
    return draw


def bundle_inspectors(session: Session, draw_id: int) -> dict[str, dict[str, str]]:
    """Inspector id -> the row frozen in the draw's bundle (``inputs/inspectors.csv``)."""
    return _bundle_rows(session, draw_id, "inputs/inspectors.csv", "inspector_id")


def _bundle_rows(session: Session, draw_id: int, path: str, key: str) -> dict[str, dict[str, str]]:
    """Rows of a CSV frozen in the draw's bundle, by ``key``, with cells as they were imported."""
    f = session.get(DrawFile, (draw_id, path))
    if f is None:
        return {}
    manifest = draw_manifest(session, draw_id)
    # Release 0.1 (draw-v1) wrote cells as they were; later formats escape formula-like cells.
    escaped = bool(manifest) and manifest.get("format") != "inspect-sched/draw-v1"
    rows = csv.DictReader(io.StringIO(f.content.decode("utf-8")))
    if escaped:
        return {csv_unescape(r[key]): {k: csv_unescape(v) for k, v in r.items()} for r in rows}
    return {r[key]: dict(r) for r in rows}


def bundle_inspector_names(session: Session, draw_id: int) -> dict[str, str]:
    """Inspector id -> name as frozen in the draw's bundle (``inputs/inspectors.csv``)."""
    return {i: r["name"] for i, r in bundle_inspectors(session, draw_id).items()}


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
    enterprises = _bundle_rows(session, draw_id, "inputs/enterprises.csv", "uscc")
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


def replacement_count(session: Session, draw_id: int) -> int:
    return len(session.exec(select(Amendment.id).where(Amendment.draw_id == draw_id,
                                                       Amendment.action == core.REPLACE)).all())


# --------------------------------------------------------------------------- export


# ----------------------------------------------------------- modes and item results (issue 13)


def draw_manifest(session: Session, draw_id: int) -> dict[str, Any]:
    f = session.get(DrawFile, (draw_id, "manifest.json"))
    return json.loads(f.content) if f is not None else {}


def draw_items(session: Session, draw_id: int) -> list[str]:
    """The items the draw's task checks, as frozen in its manifest."""
    return list(draw_manifest(session, draw_id).get("policy", {}).get("items", []))


def firm_modes(session: Session, draw_id: int) -> dict[str, str]:
    """uscc -> inspection mode (现场 / 非现场 / 书面) of each drawn firm, from its stratum."""
    pol = draw_manifest(session, draw_id).get("policy")
    policy = policy_from_dict(pol) if pol else None
    # Replacements (SPEC §7) take the stratum of the firm they replace.
    return {
        f.uscc: (policy.mode(f.stratum) if policy and f.stratum in policy.strata else "现场")
        for f in current_firms(session, draw_id)
    }


def item_summary(session: Session, draw_id: int) -> dict[str, str]:
    """uscc -> the public sheet's one-cell summary of its item results (empty when none)."""
    follow = {(f.uscc, f.item, f.kind): f
              for f in session.exec(select(FollowUp).where(FollowUp.draw_id == draw_id))}
    parts: dict[str, list[str]] = {}
    for r in session.exec(select(ItemResult).where(ItemResult.draw_id == draw_id)
                          .order_by(ItemResult.uscc, ItemResult.item)):
        if not r.checked:
            text = "未检查"
        elif not r.problem:
            text = "未发现问题"
        else:
            text = "发现问题" + (f"：{r.measures}" if r.measures else "")
            f = follow.get((r.uscc, r.item, "rectify"))
            if f is not None and f.deadline is not None:
                text += f"，整改期限 {f.deadline.isoformat()}"
                if f.closed_on is not None:
                    text += f"，已于 {f.closed_on.isoformat()} 整改完成"
        parts.setdefault(r.uscc, []).append(f"{r.item}（{text}）")
    return {u: "；".join(p) for u, p in parts.items()}
