"""The frozen inputs of a draw: five tables as plain records and canonical CSV.

A draw reads nothing but an ``Inputs``; the bundle stores it as ``inputs/*.csv`` so that
``verify`` can rebuild the very same object from the bundle alone. Canonical CSV is
UTF-8 without BOM, ``\\n`` line ends, minimal quoting, rows in a fixed sort order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from inspect_sched.errors import VerificationError
from inspect_sched.io.text import ESCAPE_FIRST, csv_escape, csv_unescape
from inspect_sched.schema.entities import (
    CONFLICT,
    ENTERPRISE,
    ENTITIES,
    HISTORY,
    INSPECTOR,
    POSITIVE_LIST,
    Entity,
)


@lru_cache(maxsize=1 << 16)  # a pool repeats few distinct tag lists; the result is immutable
def split_list(text: str) -> tuple[str, ...]:
    """``a;b;;a`` -> ("a", "b"): the stored form of tags, specialties and id lists."""
    return tuple(sorted({p.strip() for p in text.replace("；", ";").split(";") if p.strip()}))


def join_list(items: Iterable[str]) -> str:
    return ";".join(sorted(set(items)))


# The frozen records, one per input table, built from the registry's frozen fields. Their
# field order is the column order of ``inputs/<table>.csv`` (bundle format draw-v1).
if TYPE_CHECKING:
    Firm = Any
    InspectorRec = Any
    PositiveEntry = Any
    Conflict = Any
    Inspection = Any
else:
    Firm = ENTERPRISE.record_class("Firm", module=__name__)
    InspectorRec = INSPECTOR.record_class("InspectorRec", module=__name__)
    PositiveEntry = POSITIVE_LIST.record_class("PositiveEntry", module=__name__)
    Conflict = CONFLICT.record_class("Conflict", module=__name__)
    Inspection = HISTORY.record_class("Inspection", module=__name__)

TABLES: dict[str, type] = {
    "enterprises": Firm,
    "inspectors": InspectorRec,
    "positive_list": PositiveEntry,
    "conflicts": Conflict,
    "history": Inspection,
}
ENTITY_OF: dict[str, Entity] = {name: ENTITIES[name] for name in TABLES}


def _cell(value: object) -> str:
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# Converters of the registry kinds whose record values are not already the cell's text.
_CONVERT = {
    "list": ";".join,
    "bool": lambda v: "1" if v else "0",
    "date": lambda v: v.isoformat(),
}


def _parse(kind: str, value: str) -> object:
    """A canonical CSV cell back to its record value (``kind`` of the registry field)."""
    if kind == "list":
        return split_list(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bool":
        return value == "1"
    return value


def _values(cls: type):
    """All fields of a record as a flat tuple: ``astuple`` without its deep copies."""
    return attrgetter(*[f.name for f in fields(cls)])


@dataclass
class Inputs:
    firms: list[Firm]
    inspectors: list[InspectorRec]
    positive_list: list[PositiveEntry]
    conflicts: list[Conflict]
    history: list[Inspection]

    def sorted(self) -> Inputs:
        return Inputs(
            firms=sorted(self.firms, key=lambda f: f.uscc),
            inspectors=sorted(self.inspectors, key=lambda i: i.inspector_id),
            positive_list=sorted(self.positive_list, key=_values(PositiveEntry)),
            conflicts=sorted(self.conflicts, key=_values(Conflict)),
            history=sorted(self.history, key=lambda h: (h.uscc, h.date, h.kind, h.inspector_ids, h.source)),
        )

    def tables(self) -> dict[str, list]:
        return {
            "enterprises": self.firms,
            "inspectors": self.inspectors,
            "positive_list": self.positive_list,
            "conflicts": self.conflicts,
            "history": self.history,
        }

    def to_csv_files(self, escape: bool = True) -> dict[str, bytes]:
        """``{"inputs/enterprises.csv": bytes, ...}`` in canonical form.

        ``escape`` (bundle format draw-v2 on) writes formula-like cells with a leading ``'``
        (SPEC §9); draw-v1 bundles were written without it.
        """
        out = {}
        for name, rows in self.sorted().tables().items():
            cls = TABLES[name]
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow([f.name for f in fields(cls)])
            # Column by column: only list, bool and date columns need converting (text is
            # already the cell), and only a cell starting with a quote or a formula character
            # can need escaping. Row by row through ``_cell`` and ``csv_escape`` this was a
            # fifth of a province draw.
            kinds = [f.kind for f in ENTITY_OF[name].frozen]
            columns = list(zip(*map(_values(cls), rows), strict=True)) if rows else [()] * len(kinds)
            cells = []
            for kind, column in zip(kinds, columns, strict=True):
                conv = _CONVERT.get(kind)
                col = list(column) if conv is None else [conv(v) for v in column]
                if escape:
                    col = [csv_escape(c) if c[:1] in ESCAPE_FIRST else c for c in col]
                cells.append(col)
            w.writerows(zip(*cells, strict=True))
            out[f"inputs/{name}.csv"] = buf.getvalue().encode("utf-8")
        return out

    @classmethod
    def from_csv_files(cls, files: dict[str, bytes], unescape: bool = True) -> Inputs:
        """Read canonical CSV back; raise ``VerificationError`` naming a malformed file.

        ``unescape`` undoes ``to_csv_files(escape=True)``; False reads draw-v1 files as they are.
        """
        tables: dict[str, list] = {}
        for name, rec in TABLES.items():
            path = f"inputs/{name}.csv"
            if path not in files:
                raise VerificationError([f"{path}: missing from the bundle"])
            names = [f.name for f in fields(rec)]
            kinds = [f.kind for f in ENTITY_OF[name].frozen]
            try:
                text = files[path].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise VerificationError([f"{path}: not UTF-8 text (byte {exc.start} was changed?)"]) from None
            try:
                tables[name] = _read_table(path, text, rec, names, kinds, unescape)
            except csv.Error as exc:
                raise VerificationError([f"{path}: not valid CSV ({exc})"]) from None
        for name, key in (("enterprises", "uscc"), ("inspectors", "inspector_id")):
            seen: set[str] = set()
            for r in tables[name]:
                if getattr(r, key) in seen:
                    raise VerificationError([f"inputs/{name}.csv: {key} {getattr(r, key)} appears twice"])
                seen.add(getattr(r, key))
        return cls(
            firms=tables["enterprises"],
            inspectors=tables["inspectors"],
            positive_list=tables["positive_list"],
            conflicts=tables["conflicts"],
            history=tables["history"],
        )


def _read_table(path: str, text: str, rec: type, names: list[str], kinds: Sequence[str], unescape: bool) -> list:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != names:
        raise VerificationError([f"{path}: header is {str(header)[:200]}, expected {names}"])
    rows = []
    width = len(names)
    # Only list, date and bool cells are parsed; a text cell is its value (``_parse``).
    parsers = [(j, k) for j, k in enumerate(kinds) if k in ("list", "date", "bool")]
    for lineno, row in enumerate(reader, start=2):
        if unescape:
            row = [csv_unescape(c) if c[:1] == "'" else c for c in row]
        if len(row) != width:
            raise VerificationError([f"{path}: line {lineno} has {len(row)} cells, expected {len(names)}"])
        try:
            values: list[object] = list(row)
            for j, k in parsers:
                values[j] = _parse(k, row[j])
            rows.append(rec(*values))
        except ValueError as exc:
            raise VerificationError([f"{path}: line {lineno}: {exc}"]) from None
    return rows
