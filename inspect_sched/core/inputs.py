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

from inspect_sched.errors import VerificationError


@lru_cache(maxsize=1 << 16)  # a pool repeats few distinct tag lists; the result is immutable
def split_list(text: str) -> tuple[str, ...]:
    """``a;b;;a`` -> ("a", "b"): the stored form of tags, specialties and id lists."""
    return tuple(sorted({p.strip() for p in text.replace("；", ";").split(";") if p.strip()}))


def join_list(items: Iterable[str]) -> str:
    return ";".join(sorted(set(items)))


@dataclass(frozen=True)
class Firm:
    uscc: str
    name: str
    district: str
    category: str
    credit: str
    risk: str
    status: str
    industry: str
    address: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class InspectorRec:
    inspector_id: str
    name: str
    unit: str
    district: str
    department: str
    cert_valid_until: dt.date
    active: bool
    specialties: tuple[str, ...]


@dataclass(frozen=True)
class PositiveEntry:
    uscc: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Conflict:
    inspector_id: str
    uscc: str
    reason: str


@dataclass(frozen=True)
class Inspection:
    """A past inspection. ``source`` is ``import`` or ``draw:<id>`` / ``result:<id>``."""

    uscc: str
    date: dt.date
    kind: str
    inspector_ids: tuple[str, ...]
    source: str


TABLES: dict[str, type] = {
    "enterprises": Firm,
    "inspectors": InspectorRec,
    "positive_list": PositiveEntry,
    "conflicts": Conflict,
    "history": Inspection,
}


def _bool_cell(value: bool) -> str:
    return "1" if value else "0"


def _writer_of(name: str):
    """The ``_cell`` of one column, chosen once per table instead of per value (hot at 100k rows)."""
    if name in ("tags", "specialties", "inspector_ids"):
        return ";".join
    if name in ("cert_valid_until", "start", "end", "date"):
        return dt.date.isoformat
    if name == "active":
        return _bool_cell
    return str


def _reader_of(name: str):
    """The ``_parse`` of one column, chosen once per table; None: the text as it is."""
    if name in ("tags", "specialties", "inspector_ids"):
        return split_list
    if name in ("cert_valid_until", "start", "end", "date"):
        return dt.date.fromisoformat
    if name == "active":
        return "1".__eq__
    return None


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

    def to_csv_files(self) -> dict[str, bytes]:
        """``{"inputs/enterprises.csv": bytes, ...}`` in canonical form."""
        out = {}
        for name, rows in self.sorted().tables().items():
            cls = TABLES[name]
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            names = [f.name for f in fields(cls)]
            w.writerow(names)
            # Text columns go to the writer as they are (csv.writer applies str() itself).
            convert = [(n, c) for n, c in enumerate(_writer_of(x) for x in names) if c is not str]
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
            try:
                text = files[path].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise VerificationError([f"{path}: not UTF-8 text (byte {exc.start} was changed?)"]) from None
            reader = csv.reader(io.StringIO(text))
            header = next(reader, None)
            if header != names:
                raise VerificationError([f"{path}: header is {header}, expected {names}"])
            rows = []
            convert = [(n, r) for n, r in enumerate(_reader_of(name) for name in names) if r is not None]
            width = len(names)
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
