"""The frozen inputs of a draw: five tables as plain records and canonical CSV.

A draw reads nothing but an ``Inputs``; the bundle stores it as ``inputs/*.csv`` so that
``verify`` can rebuild the very same object from the bundle alone. Canonical CSV is
UTF-8 without BOM, ``\\n`` line ends, minimal quoting, rows in a fixed sort order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from inspect_sched.errors import VerificationError
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


def _bool_cell(value: bool) -> str:
    return "1" if value else "0"


# A column's writer and reader by the registry field's kind, chosen once per table rather
# than per value (100k-row tables). Text columns go to csv.writer as they are (it applies
# str() itself) and come back as they are.
_WRITERS = {"list": ";".join, "date": dt.date.isoformat, "bool": _bool_cell}
_READERS = {"list": split_list, "date": dt.date.fromisoformat, "bool": "1".__eq__}


def _parse(kind: str, value: str) -> object:
    """A canonical CSV cell back to its record value (``kind`` of the registry field)."""
    reader = _READERS.get(kind)
    return value if reader is None else reader(value)


def _values(cls: type):
    """All fields of a record as a flat tuple: ``astuple`` without its deep copies."""
    return attrgetter(*[f.name for f in fields(cls)])


def _kinds(name: str) -> list[str]:
    return [f.kind for f in ENTITY_OF[name].frozen]


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

    def to_csv_files(self) -> dict[str, bytes]:
        """``{"inputs/enterprises.csv": bytes, ...}`` in canonical form."""
        out = {}
        for name, rows in self.sorted().tables().items():
            cls = TABLES[name]
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow([f.name for f in fields(cls)])
            convert = [(n, _WRITERS[k]) for n, k in enumerate(_kinds(name)) if k in _WRITERS]
            get = _values(cls)
            out_rows = []
            for r in rows:
                row = list(get(r))
                for n, c in convert:
                    row[n] = c(row[n])
                out_rows.append(row)
            w.writerows(out_rows)
            out[f"inputs/{name}.csv"] = buf.getvalue().encode("utf-8")
        return out

    @classmethod
    def from_csv_files(cls, files: dict[str, bytes]) -> Inputs:
        """Read canonical CSV back; raise ``VerificationError`` naming a malformed file."""
        tables: dict[str, list] = {}
        for name, rec in TABLES.items():
            path = f"inputs/{name}.csv"
            if path not in files:
                raise VerificationError([f"{path}: missing from the bundle"])
            names = [f.name for f in fields(rec)]
            convert = [(n, _READERS[k]) for n, k in enumerate(_kinds(name)) if k in _READERS]
            width = len(names)
            try:
                text = files[path].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise VerificationError([f"{path}: not UTF-8 text (byte {exc.start} was changed?)"]) from None
            reader = csv.reader(io.StringIO(text))
            header = next(reader, None)
            if header != names:
                raise VerificationError([f"{path}: header is {header}, expected {names}"])
            rows = []
            for lineno, row in enumerate(reader, start=2):
                if len(row) != width:
                    raise VerificationError([f"{path}: line {lineno} has {len(row)} cells, expected {width}"])
                try:
                    for n, parse in convert:
                        row[n] = parse(row[n])
                    rows.append(rec(*row))
                except ValueError as exc:
                    raise VerificationError([f"{path}: line {lineno}: {exc}"]) from None
            tables[name] = rows
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
