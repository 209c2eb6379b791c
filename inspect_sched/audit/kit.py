"""Build the auditor's kit (SPEC §11): ``inspect-sched-verify.pyz``, a zipapp of the very modules
that ``verify`` runs, found by following ``kit_main``'s imports.

The archive is reproducible (sorted entries, fixed timestamps and modes), so anyone can
rebuild it from the release's source and compare its SHA-256 with the published one.
"""

from __future__ import annotations

import ast
import hashlib
import io
import sys
import zipapp
import zipfile
from pathlib import Path

from inspect_sched.errors import InspectSchedError

KIT_NAME = "inspect-sched-verify.pyz"
ENTRY = "inspect_sched.audit.kit_main"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds inspect_sched/

_MAIN = b"""import sys

if sys.version_info < (3, 11):
    sys.exit("inspect-sched-verify needs Python 3.11 or later")
from inspect_sched.audit.kit_main import main

sys.exit(main())
"""


def module_path(name: str) -> Path | None:
    """The source file of a project module or package, or None if there is none."""
    base = PACKAGE_ROOT.joinpath(*name.split("."))
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def _executed_nodes(tree: ast.Module):  # type: ignore[no-untyped-def]
    """Every node except those that never run in the kit: ``if TYPE_CHECKING:`` blocks and a
    module-level ``__getattr__`` (PEP 562: a lazy attribute, such as ``core.assign.assign``,
    that loads the solver only when asked for; the kit never asks)."""
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo += child.orelse
                continue
            if node is tree and isinstance(child, ast.FunctionDef) and child.name == "__getattr__":
                continue
            todo.append(child)


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """Every module an ``import`` statement in the file names (where it can run): (name, is_project)."""
    found: list[tuple[str, bool]] = []
    for node in _executed_nodes(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise InspectSchedError(f"{path}: relative import; the kit's modules use absolute imports")
            mod = node.module or ""
            # ``from pkg import sub`` may name a submodule: follow it when it is one.
            names = [mod] + [f"{mod}.{a.name}" for a in node.names if module_path(f"{mod}.{a.name}")]
        else:
            continue
        found += [(n, n.split(".")[0] == "inspect_sched") for n in names]
    return found


def kit_modules() -> dict[str, Path]:
    """The project modules the kit needs (``ENTRY``'s import closure with every parent package).

    Raises InspectSchedError if any of them imports anything beyond the standard library.
    """
    todo, seen = [ENTRY], {}
    outside: list[str] = []
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for n in range(1, len(parts) + 1):
            pkg = ".".join(parts[:n])
            p = module_path(pkg)
            if p is None:
                raise InspectSchedError(f"{pkg}: no such module in {PACKAGE_ROOT}")
            if pkg in seen:
                continue
            seen[pkg] = p
            for imported, own in imports_of(p):
                if own:
                    todo.append(imported)
                elif imported.split(".")[0] not in sys.stdlib_module_names and imported != "__future__":
                    outside.append(f"{p.relative_to(PACKAGE_ROOT)} imports {imported}")
    if outside:
        raise InspectSchedError("the kit must use the standard library only: " + "; ".join(sorted(outside)))
    return dict(sorted(seen.items()))


def kit_bytes() -> bytes:
    """The zipapp's bytes (shebang + a zip with fixed timestamps), the same on every machine."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
        entries = {p.relative_to(PACKAGE_ROOT).as_posix(): p.read_bytes() for p in kit_modules().values()}
        entries["__main__.py"] = _MAIN
        for arc, body in sorted(entries.items()):
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, body)
    out = io.BytesIO()
    zipapp.create_archive(io.BytesIO(raw.getvalue()), out, interpreter="/usr/bin/env python3")
    return out.getvalue()


def build_kit(out: str | Path) -> tuple[Path, str]:
    """Write ``DIR/inspect-sched-verify.pyz``; return its path and SHA-256."""
    folder = Path(out)
    data = kit_bytes()
    target = folder / KIT_NAME
    tmp = folder / f".{KIT_NAME}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.chmod(0o755)  # not confidential: a published program, executable like any other
        tmp.replace(target)
    except OSError as exc:
        raise InspectSchedError(f"{target}: cannot write the kit ({exc.strerror or exc}); choose another --out") from None
    return target, hashlib.sha256(data).hexdigest()
