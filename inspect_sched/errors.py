"""Exceptions the library raises for problems a user can fix.

The CLI turns every ``InspectSchedError`` into a clean message and exit code 1;
anything else is a bug and may show a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class InspectSchedError(Exception):
    """A failure the user can fix; the message says what to do.

    The library never names command-line flags. Where the fix is a command or a flag, the
    error carries a ``hint`` key (and ``hint_args``); the CLI words that hint in its own
    terms (``cli/hints.py``), other callers read the plain message.
    """

    def __init__(self, message: str = "", *, hint: str | None = None, **hint_args: object):
        self.hint = hint
        self.hint_args = hint_args
        super().__init__(message)


@dataclass(frozen=True)
class RowProblem:
    """One bad cell: ``row`` is the 1-based line/row number as Excel shows it."""

    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 40 else self.value[:37] + "..."
        return f"row {self.row}, column {self.column!r}: {shown!r} — {self.expected}"


class InputFileError(InspectSchedError):
    """A file that cannot be used as it is. Lists up to ``MAX_SHOWN`` bad rows."""

    MAX_SHOWN = 20

    def __init__(self, path: str, problems: list[RowProblem] | None = None, message: str = ""):
        self.path = path
        self.problems = list(problems or [])
        # One row may have several bad cells; the headline counts rows, the list shows cells.
        bad_rows = len({p.row for p in self.problems})
        lines = [f"{path}: {message}" if message else f"{path}: {bad_rows} bad row(s); nothing was imported."]
        for p in self.problems[: self.MAX_SHOWN]:
            lines.append(f"  {p}")
        if len(self.problems) > self.MAX_SHOWN:
            lines.append(f"  ... and {len(self.problems) - self.MAX_SHOWN} more")
        if self.problems:
            lines.append("Fix these rows and import the file again.")
        super().__init__("\n".join(lines))


class PolicyError(InspectSchedError):
    """A policy file that does not follow SPEC §3."""


class DrawError(InspectSchedError):
    """A draw that cannot be made as asked (bad period, seed, filter, empty frame...)."""


class AssignmentInfeasible(InspectSchedError):
    """No assignment satisfies every rule; the message names the firms and the rule."""


class VerificationError(InspectSchedError):
    """A bundle or ledger that does not re-derive; ``differences`` lists each mismatch."""

    def __init__(self, differences: list[str]):
        self.differences = differences
        super().__init__("\n".join(differences))


class NotFoundError(InspectSchedError):
    """A draw, plan or file that does not exist."""


class AmendmentRefused(InspectSchedError):
    """An amendment (SPEC §7) that cannot be made; nothing was recorded."""
