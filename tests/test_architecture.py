"""The import graph, read from the source (ast): one way down, no cycles.

Layers, highest first (a module may import its own layer or any lower one, never a higher):

    cli = __main__  >  api  >  services = synth  >  outputs = audit  >  store  >  core  >  io = schema  >  errors

``synth`` (the fake-data generator) sits beside ``services`` but is a leaf there: it may use
io, schema and errors only, and nothing but services, api and cli may import it. The package
root ``inspect_sched/__init__.py`` only holds ``__version__`` and lazy re-exports of the api
(PEP 562), so any module may read ``__version__`` from it and it is itself exempt.

The pure parts that ``verify`` and an auditor rely on — ``core/inputs``, ``core/tickets`` and
``core/assign`` ``rules``, ``eligibility``, ``check`` — use the standard library only (and
inspect_sched modules that do too): no numpy, no OR-Tools, no database.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "inspect_sched"

LAYERS = {"errors": 0, "io": 1, "schema": 1, "core": 2, "store": 3, "outputs": 4, "audit": 4,
          "services": 5, "synth": 5, "api": 6, "cli": 7, "__main__": 7}
STDLIB_ONLY = ("inspect_sched.core.inputs", "inspect_sched.core.tickets", "inspect_sched.core.assign.rules",
               "inspect_sched.core.assign.eligibility", "inspect_sched.core.assign.check",
               # The auditor's kit (issue 15): everything verify checks without a solver.
               "inspect_sched.core.assign.certify", "inspect_sched.core.derive", "inspect_sched.core.amend",
               "inspect_sched.io.xlsx_read")  # audit.bundle, verify_core: tests/test_kit.py (PEP 562 aware)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        if "migrations" in parts:
            continue  # Alembic scripts: run by Alembic, imported by nothing
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module ``name`` imports (absolute names), anywhere in the file, with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.append((base, node.lineno))
            # ``from inspect_sched.x import y`` where y is a module imports that module too.
            out += [(f"{base}.{a.name}", node.lineno) for a in node.names if f"{base}.{a.name}" in MODULES]
    return out


def _own(target: str) -> str | None:
    """The inspect_sched module ``target`` names (or lives in), None for a third-party one."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


GRAPH = {m: sorted({(o, line) for t, line in _imports(m, p) if (o := _own(t)) and o != m}) for m, p in MODULES.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package root


def test_every_module_is_in_a_layer() -> None:
    assert {_layer(m) for m in MODULES} - {None} == set(LAYERS), "a new package needs a place in LAYERS"


def test_no_upward_import() -> None:
    wrong = []
    for m, targets in GRAPH.items():
        src = _layer(m)
        if src is None:
            continue
        for t, line in targets:
            dst = _layer(t)
            if dst is None:
                continue  # __version__ from the root
            if LAYERS[dst] > LAYERS[src]:
                wrong.append(f"{MODULES[m].relative_to(PKG.parent)}:{line}: {src} imports {t} ({dst} is above)")
            elif src == "synth" and dst == "services":
                wrong.append(f"{MODULES[m].relative_to(PKG.parent)}:{line}: synth imports {t} (synth is a leaf)")
            elif dst == "synth" and LAYERS[src] < LAYERS["services"]:
                wrong.append(f"{MODULES[m].relative_to(PKG.parent)}:{line}: {src} imports {t} (synth is above)")
    assert wrong == []


def test_no_import_cycle() -> None:
    graph = {m: {t for t, _ in ts if _layer(t) is not None} for m, ts in GRAPH.items() if _layer(m) is not None}
    # A module's package __init__ runs before it; a package importing its own modules is no cycle.
    for m in graph:
        graph[m] = {t for t in graph[m] if not m.startswith(t + ".")}
    cycles, state = [], dict.fromkeys(graph, 0)

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                cycles.append(" -> ".join([*stack[stack.index(t):], t]))
            elif state.get(t) == 0:
                visit(t, [*stack, t])
        state[m] = 2

    for m in sorted(graph):
        if state[m] == 0:
            visit(m, [m])
    assert cycles == []


def test_pure_core_uses_the_standard_library_only() -> None:
    stdlib = sys.stdlib_module_names

    def problems(m: str, seen: set[str]) -> list[str]:
        if m in seen:
            return []
        seen.add(m)
        out = []
        for t, line in _imports(m, MODULES[m]):
            top = t.split(".")[0]
            if top == "__future__" or top in stdlib:
                continue
            own = _own(t)
            if own is None:
                out.append(f"{MODULES[m].relative_to(PKG.parent)}:{line}: imports {t}")
            elif own != m:
                out += problems(own, seen)
        return out

    for m in STDLIB_ONLY:
        assert problems(m, set()) == [], m


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The reader of imports itself works: a relative upward import is caught."""
    fake = tmp_path / "inspect_sched" / "core" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from ..services import draws\nimport inspect_sched.cli.base\n")
    found = {t for t, _ in _imports("inspect_sched.core.x", fake)}
    assert {"inspect_sched.services", "inspect_sched.services.draws", "inspect_sched.cli.base"} <= found


def test_pure_core_loads_without_numpy_or_ortools() -> None:
    """Package __init__ files run too: importing the pure modules must not pull in a solver."""
    import subprocess

    code = ("import sys\n" + "".join(f"import {m}\n" for m in STDLIB_ONLY)
            + "print(','.join(m for m in ('numpy', 'ortools', 'sqlalchemy') if m in sys.modules) or 'none')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PKG.parent).stdout
    assert out.strip() == "none"
