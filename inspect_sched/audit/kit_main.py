"""The auditor's kit's command line: ``python3 -I -S inspect-sched-verify.pyz BUNDLE``.

Standard library only (it runs inside the zipapp). Output and exit codes as ``inspect-sched
verify``: ``verified`` (exit 0), or the bundle and each difference (exit 1); 2 for wrong usage.
Never a traceback: anything unexpected while checking is reported as a finding.
"""

from __future__ import annotations

import sys

from inspect_sched import __version__
from inspect_sched.audit.verify_core import Report, check_bundle
from inspect_sched.errors import VerificationError

USAGE = """usage: python3 -I -S inspect-sched-verify.pyz BUNDLE

Check a draw bundle (the folder `inspect-sched draw --out` or `export` wrote) with the
standard library alone: file hashes, canonical inputs, plan commitment, ledger hash, frame,
inclusion probabilities, sample, both task sheets, every assign-v1 rule, and the optimality
certificate (certificate.json). Prints `verified` (exit 0) or each difference (exit 1).

Example:
  python3 -I -S inspect-sched-verify.pyz draws/2026-12
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["-h"], ["--help"]):
        print(USAGE, end="")
        return 0
    if args == ["--version"]:
        print(f"inspect-sched-verify {__version__}")
        return 0
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, end="", file=sys.stderr)
        print("error: give exactly one bundle folder", file=sys.stderr)
        return 2
    bundle = args[0]
    try:
        report = check_bundle(bundle)
    except VerificationError as exc:  # not a bundle at all
        report = Report(list(exc.differences))
    except Exception as exc:  # noqa: BLE001 — a malformed bundle is a finding, never a traceback
        report = Report([f"cannot check the bundle: {type(exc).__name__}: {exc}"])
    problems = report.problems
    if problems:
        print(f"Error: {bundle}: {len(problems)} difference(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("verified")
    # What an outsider compares with what was published (SPEC §9).
    for line in report.published_values():
        print(line)
    for note in report.notes:
        print(note)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
