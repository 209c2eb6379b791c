"""Reading the cell values of an .xlsx's first sheet with zipfile and xml.etree.

Standard library only: the auditor's kit reads a bundle's ``assignments.xlsx`` back with it.
Bounded: entry sizes and the number of cells are checked before and while parsing, so a
hostile workbook is rejected quickly (ValueError), never read for minutes.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from xml.etree import ElementTree as ET

MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_CELLS = 5_000_000
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read(z: zipfile.ZipFile, name: str) -> bytes:
    info = z.getinfo(name)
    if info.file_size > MAX_ENTRY_BYTES:
        raise ValueError(f"{name} is {info.file_size} bytes unpacked, over the {MAX_ENTRY_BYTES} limit")
    return z.read(name)


def _col(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


def _text(el: ET.Element) -> str:
    return "".join(t.text or "" for t in el.iter() if _local(t.tag) == "t")


def first_sheet_rows(data: bytes) -> list[list[str]]:
    """Cell values of the first worksheet as strings, row by row ("" for empty cells).

    Raises ValueError (or zipfile.BadZipFile / KeyError / ET.ParseError) for anything that
    is not a readable workbook; callers report any of them as "cannot be read".
    """
    z = zipfile.ZipFile(io.BytesIO(data))
    wb = ET.fromstring(_read(z, "xl/workbook.xml"))
    sheet = next(el for el in wb.iter() if _local(el.tag) == "sheet")
    rels = ET.fromstring(_read(z, "xl/_rels/workbook.xml.rels"))
    target = next(el.get("Target", "") for el in rels if el.get("Id") == sheet.get(_R))
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    shared: list[str] = []
    if "xl/sharedStrings.xml" in z.namelist():
        sst = ET.fromstring(_read(z, "xl/sharedStrings.xml"))
        shared = [_text(si) for si in sst if _local(si.tag) == "si"]
    rows: list[list[str]] = []
    cells = 0
    for _event, el in ET.iterparse(io.BytesIO(_read(z, path))):
        if _local(el.tag) != "row":
            continue
        values: dict[int, str] = {}
        for n, c in enumerate(x for x in el if _local(x.tag) == "c"):
            cells += 1
            if cells > MAX_CELLS:
                raise ValueError(f"more than {MAX_CELLS} cells")
            kind = c.get("t", "n")
            v = next((x.text or "" for x in c if _local(x.tag) == "v"), "")
            if kind == "s":
                value = shared[int(v)]
            elif kind == "inlineStr":
                value = "".join(_text(x) for x in c if _local(x.tag) == "is")
            else:
                value = v
            values[_col(c.get("r", "")) if c.get("r") else n] = value
        index = int(el.get("r", len(rows) + 1)) - 1
        while len(rows) < index:
            rows.append([])
        rows.append([values.get(i, "") for i in range(max(values, default=-1) + 1)])
        el.clear()
    return rows
