"""After the draw (SPEC §7, amend-v1): replacement firms and substitute inspectors.

Pure and exact, and standard library only (plus stdlib-only project modules): the
auditor's kit runs this very module with ``python3 -I -S`` to re-derive every amendment
from a bundle, and the tool's own ``amend`` commands and ``verify`` use it too.

* ``replacement_firm``: the k-th replacement of stratum ``s`` is draw-v1 with ``n = 1``
  over the stratum's eligible, unselected, not-yet-taken firms, stratum name
  ``replace/<s>/<k>``; each candidate's chance is its weight over the candidates' total.
* ``least_cost_team``: the cheapest team for a new firm given the current loads; ties go
  to the lexicographically smaller sorted id list. Exact: an optimal team only ever uses,
  of the inspectors who cover the same subset of the firm's needs (department,
  specialties), the cheapest ones in ``(cost, id)`` order — swapping a member for a
  cheaper one of the same subset keeps every rule and lowers ``(cost, ids)``. So the k
  cheapest of each subset are enough, and all k-subsets of that small pool are tried.
* ``substitute_member``: one member replaced; the cheapest qualifying inspector, ties by id.
* ``replay``: every recorded amendment re-derived in order from the draw as drawn.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

from inspect_sched.core.assign.eligibility import pair_exclusions
from inspect_sched.core.assign.rules import REASONS, Rules
from inspect_sched.core.inputs import Firm, Inputs, InspectorRec
from inspect_sched.core.sampling import draw_stratum
from inspect_sched.core.tickets import assign_cost
from inspect_sched.errors import AmendmentRefused
from inspect_sched.io.text import csv_escape, csv_unescape

REPLACE = "replace-firm"
SUBSTITUTE = "substitute"  # I cannot serve on the named firms only
WITHDRAW = "substitute-all"  # I is unavailable for the rest of the draw
ACTIONS = (REPLACE, SUBSTITUTE, WITHDRAW)

AMENDMENT_COLUMNS = ["sequence", "action", "uscc", "inspector_id", "replacement", "team", "reason", "created_at"]
CURRENT_COLUMNS = ["uscc", "name", "district", "address", "inspector_ids", "inspector_names"]
# The task sheet's optional columns (a mode other than on site; a joint task's departments and
# units): assignments-current.csv has exactly the columns of the draw's assignments.csv.
OPTIONAL_COLUMNS = ["mode", "inspector_departments", "inspector_units"]


def current_columns(assignments_csv: bytes) -> list[str]:
    """The columns of ``assignments-current.csv``: those of the draw's ``assignments.csv``."""
    header = next(csv.reader(io.StringIO(assignments_csv.decode("utf-8"))), [])
    return [c for c in header if c in CURRENT_COLUMNS or c in OPTIONAL_COLUMNS] or list(CURRENT_COLUMNS)


def replacement_stratum(stratum: str, k: int) -> str:
    """The stratum name draw-v1 uses for the k-th replacement of ``stratum`` (k ≥ 1)."""
    if k < 1:
        raise ValueError(f"replacement number must be ≥ 1, got {k}")
    return f"replace/{stratum}/{k}"


def replacement_firm(seed: str, stratum: str, k: int, candidates: Sequence[tuple[str, Fraction]]) -> str:
    """The k-th replacement of ``stratum`` among ``(uscc, weight)`` candidates (draw-v1, n = 1)."""
    if not candidates:
        raise ValueError(f"stratum {stratum}: no candidates for a replacement")
    rows = draw_stratum(seed, replacement_stratum(stratum, k), candidates, 1)
    (chosen,) = [r.uscc for r in rows if r.selected]
    return chosen


# --------------------------------------------------------------------------- teams


def needs_of(firm: Firm, rules: Rules) -> list[tuple[str, str]]:
    """What a team of ``firm`` must cover: each task department, each required specialty."""
    needs = [("dept", d) for d in sorted(set(rules.departments))]
    for tag in sorted(firm.tags):
        s = rules.specialty_required.get(tag)
        if s is not None and ("spec", s) not in needs:
            needs.append(("spec", s))
    return needs


def covers(inspector: InspectorRec, need: tuple[str, str]) -> bool:
    kind, value = need
    return inspector.department == value if kind == "dept" else value in inspector.specialties


def least_cost_team(
    seed: str, firm: Firm, pool: Sequence[InspectorRec], rules: Rules
) -> tuple[str, ...] | None:
    """The least-cost team of ``rules.k`` from ``pool`` (inspectors already known to qualify)
    covering ``needs_of(firm)``; ties to the smaller sorted id list; None if there is none."""
    k = rules.k_for(firm.uscc)
    needs = needs_of(firm, rules)
    by_profile: dict[frozenset, list[tuple[int, str, InspectorRec]]] = {}
    for i in pool:
        profile = frozenset(n for n in needs if covers(i, n))
        by_profile.setdefault(profile, []).append((assign_cost(seed, firm.uscc, i.inspector_id), i.inspector_id, i))
    reduced: list[tuple[int, str, InspectorRec]] = []
    for members in by_profile.values():
        reduced += sorted(members, key=lambda t: (t[0], t[1]))[:k]
    reduced.sort(key=lambda t: t[1])
    best: tuple[int, tuple[str, ...]] | None = None
    for team in combinations(reduced, k):
        if not all(any(covers(t[2], n) for t in team) for n in needs):
            continue
        key = (sum(t[0] for t in team), tuple(t[1] for t in team))  # ids already sorted
        if best is None or key < best:
            best = key
    return None if best is None else best[1]


# --------------------------------------------------------------------------- context and state


@dataclass(frozen=True)
class FrameEntry:
    uscc: str
    stratum: str
    weight: Fraction
    selected: bool
    eligible: bool


@dataclass
class Context:
    """Everything a draw's amendments depend on, from the bundle as drawn."""

    seed: str
    rules: Rules
    first_day: dt.date
    last_day: dt.date
    inputs: Inputs
    frame: list[FrameEntry]  # frame.csv order
    drawn: list[tuple[str, tuple[str, ...]]]  # sample.csv order, teams as drawn
    full_coverage: frozenset[str] = frozenset()
    _firms: dict[str, Firm] = field(default_factory=dict, repr=False)
    _inspectors: list[InspectorRec] = field(default_factory=list, repr=False)
    _exclusions: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._firms = {f.uscc: f for f in self.inputs.firms}
        self._inspectors = sorted(self.inputs.inspectors, key=lambda i: i.inspector_id)

    def firm(self, uscc: str) -> Firm:
        return self._firms[uscc]

    @property
    def inspectors(self) -> list[InspectorRec]:
        return self._inspectors

    def exclusions(self, uscc: str) -> dict[str, str]:
        """inspector id -> first assign-v1 reason it may not inspect ``uscc`` (absent = eligible)."""
        if uscc not in self._exclusions:
            pairs = pair_exclusions([self._firms[uscc]], self._inspectors, self.inputs.conflicts,
                                    self.inputs.history, self.rules, self.first_day, self.last_day)
            self._exclusions[uscc] = {iid: r for (_u, iid), r in pairs.items()}
        return self._exclusions[uscc]


@dataclass
class State:
    """The draw as amended so far."""

    order: list[str]  # current firms: sample order, then replacements in amendment order
    teams: dict[str, tuple[str, ...]]  # every firm ever in the draw -> its current (last) team
    stratum: dict[str, str]
    removed: list[str] = field(default_factory=list)
    replaced_by: dict[str, str] = field(default_factory=dict)  # removed firm -> its replacement
    taken: set[str] = field(default_factory=set)  # replacements so far
    replacements: Counter = field(default_factory=Counter)  # stratum -> how many so far
    unavailable: set[str] = field(default_factory=set)
    barred: set[tuple[str, str]] = field(default_factory=set)  # (uscc, inspector) found in conflict

    def loads(self) -> Counter:
        return Counter(i for u in self.order for i in self.teams[u])

    def replaced(self, uscc: str) -> str | None:
        """For a replacement firm, the firm it replaces."""
        return next((old for old, new in self.replaced_by.items() if new == uscc), None)


def initial_state(ctx: Context) -> State:
    strata = {e.uscc: e.stratum for e in ctx.frame}
    return State(order=[u for u, _ in ctx.drawn], teams=dict(ctx.drawn),
                 stratum={u: strata.get(u, "") for u, _ in ctx.drawn})


@dataclass(frozen=True)
class Row:
    """One line of ``amendments.csv`` (without sequence, reason and time)."""

    action: str
    uscc: str
    inspector_id: str
    replacement: str
    team: tuple[str, ...]


# --------------------------------------------------------------------------- blocking rules


def _why_not(ctx: Context, state: State, uscc: str, team: Iterable[str], loads: Counter) -> tuple[list[InspectorRec], Counter]:
    """Inspectors who may join ``uscc``'s team now, and how many each rule removed."""
    excl = ctx.exclusions(uscc)
    cap = ctx.rules.max_per_inspector
    on_team = set(team)
    removed: Counter = Counter()
    pool = []
    for i in ctx.inspectors:
        iid = i.inspector_id
        if iid in on_team:
            continue
        if iid in excl:
            removed[excl[iid]] += 1
        elif iid in state.unavailable:
            removed["unavailable"] += 1
        elif (uscc, iid) in state.barred:
            removed["conflict_found"] += 1
        elif loads[iid] >= cap:
            removed["max_per_inspector"] += 1
        else:
            pool.append(i)
    return pool, removed


_RULE_TEXT = {
    "inactive": "inactive",
    "certificate_expired": "certificate expired",
    "department": "not of the task's departments",
    "same_district": "same district (cross_district)",
    "conflict": "declared conflict (回避)",
    "rotation": "inspected it within rotation_days",
    "unavailable": "unavailable for this draw (substituted out)",
    "conflict_found": "conflict found at an earlier amendment",
    "max_per_inspector": "already at max_per_inspector",
}


def _removed_text(removed: Counter, cap: int) -> str:
    order = [*REASONS, "unavailable", "conflict_found", "max_per_inspector"]
    parts = []
    for r in order:
        if removed[r]:
            label = _RULE_TEXT[r] + (f" ({cap})" if r == "max_per_inspector" else "")
            parts.append(f"{label} removes {removed[r]}")
    return "; ".join(parts) or "no inspector is in the pool"


def _need_text(need: tuple[str, str]) -> str:
    return f"department {need[1]}" if need[0] == "dept" else f"specialty {need[1]}"


def _team_block(ctx: Context, firm: Firm, pool: list[InspectorRec], removed: Counter) -> str:
    k = ctx.rules.k_for(firm.uscc)
    cap = ctx.rules.max_per_inspector
    why = _removed_text(removed, cap)
    if len(pool) < k:
        return (f"firm {firm.uscc} ({firm.district}) has {len(pool)} qualifying inspector(s), needs {k}: {why}. "
                "To fix: add inspectors, raise max_per_inspector, or lower rotation_days")
    for need in needs_of(firm, ctx.rules):
        if not any(covers(i, need) for i in pool):
            return (f"firm {firm.uscc} ({firm.district}) has no qualifying inspector of {_need_text(need)}: {why}. "
                    f"To fix: add eligible inspectors of {_need_text(need)} or raise max_per_inspector")
    needs = ", ".join(_need_text(n) for n in needs_of(firm, ctx.rules))
    return (f"firm {firm.uscc} ({firm.district}): no team of {k} qualifying inspectors covers {needs} at once "
            f"({why}). To fix: add inspectors who cover several of them, or raise team_size")


# --------------------------------------------------------------------------- the two amendments


def replace_firm(ctx: Context, state: State, uscc: str) -> list[Row]:
    """Remove ``uscc`` and draw and staff its replacement; raise AmendmentRefused if impossible."""
    if uscc not in state.order:
        if uscc in state.removed:
            raise AmendmentRefused(f"firm {uscc} was already removed from the draw "
                                   f"(replaced by {state.replaced_by[uscc]})")
        raise AmendmentRefused(f"firm {uscc} is not in the draw; the current firms are in assignments-current.csv "
                               "of the draw's exported bundle", hint="amend_not_in_draw", uscc=uscc)
    s = state.stratum[uscc]
    if s in ctx.full_coverage:
        raise AmendmentRefused(
            f"firm {uscc} is in stratum {s!r}, which is drawn in full (full_coverage): it has no candidates "
            "for a replacement. Record its result instead (e.g. 已关闭或停产)")
    candidates = [(e.uscc, e.weight) for e in ctx.frame
                  if e.stratum == s and e.eligible and not e.selected and e.uscc not in state.taken]
    if not candidates:
        raise AmendmentRefused(f"stratum {s!r} has no candidates left for a replacement: every eligible firm of it "
                               "was drawn or has already been taken as a replacement")
    k = state.replacements[s] + 1
    new = replacement_firm(ctx.seed, s, k, candidates)
    # The removed firm's team is freed before the new team is chosen.
    loads = state.loads()
    loads.subtract(state.teams[uscc])
    firm = ctx.firm(new)
    pool, removed = _why_not(ctx, state, new, (), loads)
    team = least_cost_team(ctx.seed, firm, pool, ctx.rules)
    if team is None:
        raise AmendmentRefused(f"the replacement drawn for {uscc} cannot be staffed: "
                               + _team_block(ctx, firm, pool, removed))
    return [Row(REPLACE, uscc, "", new, team)]


def _covered(members: Iterable[InspectorRec], firm: Firm, rules: Rules) -> bool:
    members = list(members)
    return all(any(covers(m, n) for m in members) for n in needs_of(firm, rules))


def substitute(ctx: Context, state: State, inspector_id: str, usccs: Sequence[str] | None) -> list[Row]:
    """Replace ``inspector_id`` on the named firms (or on every firm of the draw when ``usccs``
    is None), in the current order; raise AmendmentRefused naming the blocking rule."""
    by_id = {i.inspector_id: i for i in ctx.inspectors}
    if usccs is None:
        affected = [u for u in state.order if inspector_id in state.teams[u]]
        if not affected:
            raise AmendmentRefused(f"inspector {inspector_id} is on no team of the draw; nothing to substitute")
    else:
        problems = []
        for u in usccs:
            if u not in state.order:
                problems.append(f"firm {u} is not in the draw")
            elif inspector_id not in state.teams[u]:
                problems.append(f"inspector {inspector_id} is not on the team of firm {u} "
                                f"({';'.join(state.teams[u])})")
        if problems:
            raise AmendmentRefused("; ".join(problems) + "; check the inspector and the firms",
                                   hint="amend_check_ids", problems="; ".join(problems))
        wanted = set(usccs)
        affected = [u for u in state.order if u in wanted]
    action = WITHDRAW if usccs is None else SUBSTITUTE
    trial = _copy(state)
    if usccs is None:
        trial.unavailable.add(inspector_id)
    else:
        trial.barred |= {(u, inspector_id) for u in affected}
    rows = []
    rules = ctx.rules
    for u in affected:
        firm = ctx.firm(u)
        rest = [m for m in trial.teams[u] if m != inspector_id]
        loads = trial.loads()
        pool, removed = _why_not(ctx, trial, u, trial.teams[u], loads)
        keep = [by_id[m] for m in rest if m in by_id]
        fits = [i for i in pool if _covered([*keep, i], firm, rules)]
        if not fits:
            lacking = [n for n in needs_of(firm, rules) if not any(covers(m, n) for m in keep)]
            if pool and lacking:
                blocked = (f"the team would lack {', '.join(_need_text(n) for n in lacking)}, and none of the "
                           f"{len(pool)} inspector(s) left provides it ({_removed_text(removed, rules.max_per_inspector)})")
            else:
                blocked = _removed_text(removed, rules.max_per_inspector)
            raise AmendmentRefused(f"no substitute for {inspector_id} on firm {u} ({firm.district}): {blocked}. "
                                   "To fix: add eligible inspectors or raise max_per_inspector")
        chosen = min(fits, key=lambda i: (assign_cost(ctx.seed, u, i.inspector_id), i.inspector_id)).inspector_id
        team = tuple(sorted([*rest, chosen]))
        trial.teams[u] = team
        rows.append(Row(action, u, inspector_id, chosen, team))
    return rows


def _copy(state: State) -> State:
    return State(order=list(state.order), teams=dict(state.teams), stratum=dict(state.stratum),
                 removed=list(state.removed), replaced_by=dict(state.replaced_by), taken=set(state.taken),
                 replacements=Counter(state.replacements), unavailable=set(state.unavailable),
                 barred=set(state.barred))


def apply(state: State, rows: Sequence[Row]) -> None:
    """Record an amendment's rows (as derived or as read back) in ``state``."""
    for r in rows:
        if r.action == REPLACE:
            s = state.stratum[r.uscc]
            state.order.remove(r.uscc)
            state.removed.append(r.uscc)
            state.replaced_by[r.uscc] = r.replacement
            state.order.append(r.replacement)
            state.teams[r.replacement] = tuple(r.team)
            state.stratum[r.replacement] = s
            state.taken.add(r.replacement)
            state.replacements[s] += 1
        else:
            if r.action == WITHDRAW:
                state.unavailable.add(r.inspector_id)
            else:
                state.barred.add((r.uscc, r.inspector_id))
            state.teams[r.uscc] = tuple(r.team)


def derive(ctx: Context, state: State, action: str, uscc: str = "", inspector_id: str = "",
           usccs: Sequence[str] | None = None) -> list[Row]:
    if action == REPLACE:
        return replace_firm(ctx, state, uscc)
    if action == SUBSTITUTE:
        return substitute(ctx, state, inspector_id, usccs or [uscc])
    if action == WITHDRAW:
        return substitute(ctx, state, inspector_id, None)
    raise AmendmentRefused(f"unknown amendment action {action!r}; expected one of {', '.join(ACTIONS)}")


# --------------------------------------------------------------------------- records and replay


@dataclass(frozen=True)
class Recorded:
    """One recorded amendment: its rows as written, with sequence, reason and time."""

    sequence: int
    rows: tuple[Row, ...]
    reason: str
    created_at: str

    @property
    def action(self) -> str:
        return self.rows[0].action


def replay(ctx: Context, recorded: Sequence[Recorded]) -> tuple[State, list[str]]:
    """Re-derive every amendment in order; the final state (from the recorded rows) and every
    difference between what was recorded and what amend-v1 gives."""
    state = initial_state(ctx)
    problems: list[str] = []
    for n, a in enumerate(recorded, start=1):
        where = f"amendment {a.sequence}"
        if a.sequence != n:
            problems.append(f"{where}: expected sequence {n} (an amendment is missing or renumbered)")
        if not a.reason.strip():
            problems.append(f"{where}: has no reason")
        actions = {r.action for r in a.rows}
        if len(actions) != 1 or a.action not in ACTIONS:
            problems.append(f"{where}: action {sorted(actions)} is not one of {', '.join(ACTIONS)}")
            continue
        first = a.rows[0]
        try:
            if a.action == REPLACE:
                expected = replace_firm(ctx, state, first.uscc)
            elif a.action == SUBSTITUTE:
                expected = substitute(ctx, state, first.inspector_id, [r.uscc for r in a.rows])
            else:
                expected = substitute(ctx, state, first.inspector_id, None)
        except AmendmentRefused as exc:
            problems.append(f"{where} ({a.action} {first.uscc or first.inspector_id}): amend-v1 refuses it: {exc}")
            return state, problems
        except KeyError as exc:
            problems.append(f"{where}: names {exc.args[0]}, which is not in the bundle's inputs")
            return state, problems
        if list(a.rows) != expected:
            problems += _row_differences(where, list(a.rows), expected)
        apply(state, a.rows)
    return state, problems


def _row_differences(where: str, found: list[Row], expected: list[Row]) -> list[str]:
    out = []
    if [r.uscc for r in found] != [r.uscc for r in expected]:
        out.append(f"{where}: firms {[r.uscc for r in found]}, re-derived {[r.uscc for r in expected]}")
    for f, e in zip(found, expected, strict=False):
        if f.replacement != e.replacement:
            out.append(f"{where} firm {f.uscc}: replacement {f.replacement!r}, re-derived {e.replacement!r}")
        if f.team != e.team:
            out.append(f"{where} firm {f.uscc}: team {';'.join(f.team)}, re-derived {';'.join(e.team)}")
    return out or [f"{where}: rows differ from the re-derived ones"]


def current_assignments(ctx: Context, state: State, columns: Sequence[str] = CURRENT_COLUMNS,
                        modes: Mapping[str, str] | None = None) -> list[list[str]]:
    """``assignments-current.csv`` rows: firms still in the draw in sample order, then the
    replacements in amendment order, each with its current team, in ``columns``; ``modes``
    gives a stratum's inspection mode (default 现场)."""
    people = {i.inspector_id: i for i in ctx.inspectors}
    stratum = {e.uscc: e.stratum for e in ctx.frame}
    rows = []
    for u in state.order:
        f = ctx.firm(u)
        team = sorted(state.teams[u])
        cell = {
            "uscc": f.uscc, "name": f.name, "district": f.district, "address": f.address,
            "inspector_ids": ";".join(team),
            "inspector_names": ";".join(people[i].name if i in people else "" for i in team),
            "mode": (modes or {}).get(stratum.get(u, ""), "现场"),
            "inspector_departments": ";".join(people[i].department if i in people else "" for i in team),
            "inspector_units": ";".join(people[i].unit if i in people else "" for i in team),
        }
        rows.append([cell[c] for c in columns])
    return rows


def amendment_rows(recorded: Sequence[Recorded]) -> list[list[str]]:
    return [[str(a.sequence), r.action, r.uscc, r.inspector_id, r.replacement, ";".join(sorted(r.team)),
             a.reason, a.created_at] for a in recorded for r in a.rows]


def csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    """The amendment files are draw-v2 files: formula-like cells get a leading ``'`` (SPEC §9),
    so a reason typed as ``=cmd|...`` stays text in a spreadsheet."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([csv_escape(c) for c in r] for r in rows)
    return buf.getvalue().encode("utf-8")


def read_amendments(data: bytes) -> list[Recorded]:
    """``amendments.csv`` back into records; ValueError names a malformed line."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader, None)
    if header != AMENDMENT_COLUMNS:
        raise ValueError(f"amendments.csv: header is {header}, expected {AMENDMENT_COLUMNS}")
    groups: dict[int, list[tuple[Row, str, str]]] = {}
    for lineno, cells in enumerate(reader, start=2):
        if len(cells) != len(AMENDMENT_COLUMNS):
            raise ValueError(f"amendments.csv: line {lineno} has {len(cells)} cells, expected {len(AMENDMENT_COLUMNS)}")
        number, action, uscc, iid, repl, team, reason, created = (csv_unescape(c) for c in cells)
        if not (number.isascii() and number.isdigit()):
            raise ValueError(f"amendments.csv: line {lineno}: sequence {number!r} is not a number")
        row = Row(action, uscc, iid, repl, tuple(x for x in team.split(";") if x))
        group = groups.setdefault(int(number), [])
        if group and (reason, created) != group[0][1:]:
            raise ValueError(f"amendments.csv: line {lineno}: reason or created_at differs from the other rows "
                             f"of amendment {number}")
        group.append((row, reason, created))
    out = []
    for seq in sorted(groups):
        items = groups[seq]
        out.append(Recorded(seq, tuple(r for r, _, _ in items), items[0][1], items[0][2]))
    return out


def read_frame(data: bytes) -> list[FrameEntry]:
    """``frame.csv`` rows (uscc, stratum, exact weight, selected, eligible)."""
    out = []
    for r in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        out.append(FrameEntry(r["uscc"], r["stratum"], Fraction(r["weight"]), r["selected"] == "1",
                              not r["excluded_reason"]))
    return out


def read_teams(data: bytes) -> list[tuple[str, tuple[str, ...]]]:
    """``assignments.csv`` rows as (uscc, sorted team), in file order."""
    return [(r["uscc"], tuple(x for x in r["inspector_ids"].split(";") if x))
            for r in csv.DictReader(io.StringIO(data.decode("utf-8")))]


def context_from_files(files: dict[str, bytes], seed: str, rules: Rules, first_day: dt.date,
                       last_day: dt.date, full_coverage: Iterable[str]) -> Context:
    """A draw's amendment context from its bundle files (inputs, frame.csv, assignments.csv)."""
    return Context(seed=seed, rules=rules, first_day=first_day, last_day=last_day,
                   inputs=Inputs.from_csv_files(files), frame=read_frame(files["frame.csv"]),
                   drawn=read_teams(files["assignments.csv"]), full_coverage=frozenset(full_coverage))
