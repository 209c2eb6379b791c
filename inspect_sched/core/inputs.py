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
from dataclasses import astuple, dataclass, fields

from inspect_sched.errors import VerificationError
from inspect_sched.io.text import csv_escape, csv_unescape


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


def _cell(value: object) -> str:
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _parse(kind: type, name: str, value: str) -> object:
    if name in ("tags", "specialties", "inspector_ids"):
        return split_list(value)
    if name in ("cert_valid_until", "start", "end", "date"):
        return dt.date.fromisoformat(value)
    if name == "active":
        return value == "1"
    return value


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
            positive_list=sorted(self.positive_list, key=astuple),
            conflicts=sorted(self.conflicts, key=astuple),
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
            for r in rows:
                cells = [_cell(v) for v in astuple(r)]
                w.writerow([csv_escape(c) for c in cells] if escape else cells)
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
            try:
                text = files[path].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise VerificationError([f"{path}: not UTF-8 text (byte {exc.start} was changed?)"]) from None
            try:
                tables[name] = _read_table(path, text, rec, names, unescape)
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


def _read_table(path: str, text: str, rec: type, names: list[str], unescape: bool) -> list:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != names:
        raise VerificationError([f"{path}: header is {str(header)[:200]}, expected {names}"])
    rows = []
    for lineno, row in enumerate(reader, start=2):
        if unescape:
            row = [csv_unescape(c) for c in row]
        if len(row) != len(names):
            raise VerificationError([f"{path}: line {lineno} has {len(row)} cells, expected {len(names)}"])
        try:
            rows.append(rec(*(_parse(rec, n, v) for n, v in zip(names, row, strict=True))))
        except ValueError as exc:
            raise VerificationError([f"{path}: line {lineno}: {exc}"]) from None
    return rows
