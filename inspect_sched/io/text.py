"""Text rules of SPEC §9 in one place: what a cell, an id or a name may contain, and how a
CSV cell is kept from being read as a spreadsheet formula.

* ``text_problem`` — control (Unicode Cc) and format (Cf: zero-width space, bidi marks …)
  characters are refused everywhere; line breaks and tabs only where free text is allowed.
  Invisible characters let two names that look equal differ (dodging the redraw mark), and
  control characters forge lines in terminal output or break the xlsx writer.
* ``id_problem`` — identifiers additionally may not hold ``;`` (it joins id lists; the
  full-width ``；`` becomes ``;`` under NFKC) or whitespace.
* ``csv_escape`` / ``csv_unescape`` — a text cell beginning with ``=``, ``+``, ``-``, ``@``,
  TAB or CR is written with a leading ``'``; so that the round trip is exact, a cell that
  begins with quotes followed by one of those gets one more quote. Readers of the tool's
  own files strip one leading ``'`` from a cell of quotes followed by one of those.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

_FREE_TEXT_BREAKS = frozenset("\n\r\t")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def bad_char(value: str, allow_breaks: bool = False) -> str | None:
    """The first character ``value`` may not contain, or None."""
    if value.isprintable():
        return None  # the fast path (C speed): printable text has no Cc or Cf character
    for c in value:
        if c.isprintable():
            continue
        if allow_breaks and c in _FREE_TEXT_BREAKS:
            continue
        if unicodedata.category(c) in ("Cc", "Cf"):
            return c
    return None


def describe_char(c: str) -> str:
    name = unicodedata.name(c, "")
    return f"U+{ord(c):04X}" + (f" {name}" if name else "")


def text_problem(value: str, allow_breaks: bool = False) -> str | None:
    """Why ``value`` is not acceptable text, or None."""
    c = bad_char(value, allow_breaks)
    if c is None:
        return None
    return (f"contains an invisible control or format character ({describe_char(c)}); "
            "delete it (retype the cell) and try again")


def id_problem(value: str) -> str | None:
    """Why ``value`` (already NFKC-normalised) is not an acceptable identifier, or None."""
    why = text_problem(value)
    if why:
        return why
    if ";" in value:
        return "an id may not contain ';' (it separates ids in a team); give one id per cell"
    if any(c.isspace() for c in value):
        return "an id may not contain spaces or line breaks"
    return None


# Characters that display as nothing but are not Cc/Cf (Unicode Default_Ignorable_Code_Point,
# plus the Hangul fillers and the blank braille pattern): in a name that identifies something
# (a task), they would make two names that look the same compare different.
_IGNORABLE = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2800, 0x2800), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)


def _invisible(c: str) -> bool:
    o = ord(c)
    return any(lo <= o <= hi for lo, hi in _IGNORABLE)


def clean_name(value: str, what: str) -> str:
    """NFKC, stripped, no control/format or other invisible characters: task names, reasons.
    Raises ValueError."""
    text = unicodedata.normalize("NFKC", value).strip()
    c = bad_char(text)
    if c is None:
        c = next((ch for ch in text if _invisible(ch)), None)
    if c is not None:
        raise ValueError(f"{what} contains an invisible control or format character ({describe_char(c)}); "
                         "type it again without it")
    return text


def first_ten(items: Sequence[object], sep: str) -> str:
    """The first ten ``items`` joined by ``sep``, and " …" when there are more: a message names
    a few, not thousands."""
    return sep.join(map(str, items[:10])) + (" …" if len(items) > 10 else "")


def printable(value: object) -> str:
    """``value`` for a terminal line: control/format characters shown as escapes, never obeyed."""
    text = str(value)
    if bad_char(text) is None:
        return text
    return "".join(c if bad_char(c) is None else f"\\u{ord(c):04x}" for c in text)


def _formula_like(cell: str) -> bool:
    # Any run of quotes then a formula start: escaping every such cell (one more quote) keeps
    # the round trip exact, and an unescaped cell can never look escaped.
    return cell.lstrip("'").startswith(FORMULA_STARTS)


# The first characters of every cell ``csv_escape`` or ``csv_unescape`` may change: a cell
# starting with anything else is left as it is, so hot loops test ``cell[:1] in ESCAPE_FIRST``.
ESCAPE_FIRST = frozenset(FORMULA_STARTS) | {"'"}


def csv_escape(cell: str) -> str:
    return "'" + cell if _formula_like(cell) else cell


def csv_unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _formula_like(cell) else cell


def escape_row(row: Iterable[object]) -> list[object]:
    return [csv_escape(c) if isinstance(c, str) else c for c in row]


MAX_SEED = 200


def seed_problem(seed: object) -> str | None:
    """SPEC §1: a seed is 1–200 printable characters without ``|``; why ``seed`` is not, or None."""
    if not isinstance(seed, str):
        return f"seed must be text, not {type(seed).__name__}"
    if not 1 <= len(seed) <= MAX_SEED:
        return f"seed must be 1–{MAX_SEED} characters, got {len(seed)}"
    if "|" in seed:
        return "seed must not contain '|' (it separates the parts of a ticket)"
    bad = [c for c in seed if not c.isprintable()]
    if bad:
        return f"seed contains a control character {bad[0]!r}; use digits from a public source"
    return None
