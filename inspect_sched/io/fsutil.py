"""Files written whole or not at all: a temporary name in the same folder, then rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from inspect_sched.errors import InspectSchedError


def write_atomic(path: str | Path, data: bytes, private: bool = False) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``.

    ``private`` makes the file owner-only (0600): internal task sheets are confidential.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_new_folder(out: str | Path) -> Path:
    """Bundles are never overwritten: ``out`` must not exist yet, or be an empty folder."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InspectSchedError(
            f"{out}: already exists and is not empty; choose a new folder (bundles are never overwritten)",
            hint="new_out", out=out,
        )
    return out


def stage_folder(out: str | Path, files: Mapping[str, bytes], private: bool = False) -> Path:
    """Write ``files`` into a hidden sibling of ``out``; ``publish_folder`` renames it into place."""
    out = check_new_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        for name, data in files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if private:
                os.chmod(target.parent, 0o700)
            with open(target, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(target, 0o600 if private else 0o644)
        os.chmod(tmp, 0o700 if private else 0o755)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def publish_folder(tmp: Path, out: str | Path) -> None:
    """Rename a staged folder to ``out`` in one step, so ``out`` is never half-written."""
    out = check_new_folder(out)
    if out.exists():
        out.rmdir()
    os.rename(tmp, out)


def discard_folder(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
