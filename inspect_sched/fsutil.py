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


def write_folder_atomic(out: str | Path, files: Mapping[str, bytes], private: bool = False) -> None:
    """Create folder ``out`` holding ``files`` (relative names), all at once.

    The files go to a hidden sibling folder first, which is renamed to ``out`` at the end,
    so ``out`` never exists half-written. ``out`` must not exist yet, or be empty.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InspectSchedError(
            f"{out}: already exists and is not empty; choose a new --out folder (bundles are never overwritten)"
        )
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
        if out.exists():
            out.rmdir()
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
