"""The contract travels with the code: docs/spec.md equals ../shared/SPEC.md, and the command
reference (README table and docs/cli.md) is generated from ``--help``, so it cannot drift."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspect_sched.cli.reference import README_END, README_START, cli_markdown, readme_table

REPO = Path(__file__).resolve().parents[1]
SHARED_SPEC = REPO.parent / "shared" / "SPEC.md"


def test_spec_copy_matches_shared_spec() -> None:
    if not SHARED_SPEC.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI lays ../shared beside the clone; {SHARED_SPEC} is missing")
        pytest.skip("no ../shared beside this clone; docs/spec.md is the copy")
    assert (REPO / "docs" / "spec.md").read_bytes() == SHARED_SPEC.read_bytes(), (
        "docs/spec.md differs from ../shared/SPEC.md: copy it (cp ../shared/SPEC.md docs/spec.md)"
    )


def test_cli_reference_is_generated_from_help() -> None:
    hint = "regenerate with: python scripts/cli_reference.py"
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == cli_markdown(), hint
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(README_START), readme.index(README_END)
    assert readme[start + len(README_START):end] == "\n" + readme_table() + "\n", hint
