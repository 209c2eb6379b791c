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
    """Bundles are never overwritten: ``out`` must not exist yet, or be an empty folder.

    Checked before anything is recorded, so that the rename after the commit cannot fail on
    something knowable: ``out`` may not be ``.`` or ``..`` (or the current folder), a
    symlink, or a mount point (neither can be renamed over).
    """
    out = Path(out)
    if str(out) in ("", ".", "..") or out.name in ("", ".", ".."):
        raise InspectSchedError(f"{out}: give a new folder name for --out, not {str(out)!r}")
    if out.is_symlink():
        raise InspectSchedError(f"{out}: is a symbolic link; give a new folder for --out (links are not followed)")
    try:
        if out.exists() and out.resolve() in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
            raise InspectSchedError(f"{out}: is the current folder or one above it; give a new folder for --out")
    except OSError as exc:
        raise InspectSchedError(f"{out}: cannot be used as --out ({exc.strerror})") from None
    if out.exists() and os.path.ismount(out):
        raise InspectSchedError(f"{out}: is a mount point; give a new folder inside it for --out")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InspectSchedError(
            f"{out}: already exists and is not empty; choose a new folder (bundles are never overwritten)",
            hint="new_out", out=out,
        )
    return out


def safe_relative(name: str) -> Path:
    """A file name from the database or a manifest, checked to stay inside the folder (SPEC §9).

    Only plain relative names: no absolute path, drive, ``..``, ``.``, empty part or backslash.
    """
    p = Path(name)
    parts = name.split("/")
    if (not name or p.is_absolute() or "\\" in name or ":" in name or "\x00" in name
            or any(part in ("", ".", "..") for part in parts)):
        raise InspectSchedError(f"refusing to write a file named {name!r}: file names must stay inside --out "
                                "(the database or bundle holding it was tampered with)")
    return Path(*parts)


def stage_folder(out: str | Path, files: Mapping[str, bytes], private: bool = False) -> Path:
    """Write ``files`` into a hidden sibling of ``out``; ``publish_folder`` renames it into place."""
    out = check_new_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = {name: safe_relative(name) for name in files}
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        for name, data in files.items():
            target = tmp / names[name]
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
