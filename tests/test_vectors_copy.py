"""The golden files in tests/vectors are exact copies of the project's ../shared/vectors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO / "tests" / "vectors"
SHARED_VECTORS = REPO.parent / "shared" / "vectors"


@pytest.mark.parametrize("name", ["draw-v1.json", "assign-v1.json", "amend-v1.json"])
def test_golden_copies_match_shared_vectors(name: str) -> None:
    if not SHARED_VECTORS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI lays ../shared beside the clone; {SHARED_VECTORS} is missing")
        pytest.skip("no ../shared/vectors beside this clone; the copies in tests/vectors are used")
    assert (VECTORS / name).read_bytes() == (SHARED_VECTORS / name).read_bytes()
