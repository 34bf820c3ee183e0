"""The shape of the package: imports flow one way, no cycle, small modules, a thin facade.

DESIGN's layout lists the package from top (errors, corpus) to bottom (cli); a module may
import only from its own layer or the layers above it. Imports are counted wherever they
stand: at module level, inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import workbench as wb

PACKAGE = Path(wb.__file__).parent

#: top to bottom; a module imports only from its own layer or above
LAYERS: list[set[str]] = [
    {"errors", "escape", "sentinels", "identifiers"},
    {"corpus"},
    {"ingest"},
    {"segment"},
    {"codebook"},
    {"agreement"},
    {"sampling"},
    {"storage"},
    {"project"},
    {"privacy"},
    {"interchange"},
    {"assist"},
    {"charts"},
    {"widgets"},
    {"report"},
    {"cli", "__main__", "hub"},
]
MAX_LINES = 650



def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if "migrations" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["workbench", *parts])] = path
    return out


MODULES = _modules()


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path) -> set[str]:
    """Every workbench module that ``module`` imports, anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_pkg, node)
            subs = [f"{target}.{a.name}" for a in node.names]
            # ``from . import x`` names the submodule x; the package itself only when a
            # name imported from it is not a submodule
            names = [s for s in subs if s in MODULES]
            if len(names) < len(subs):
                names.append(target)
        for name in names:
            if not name.startswith("workbench"):
                continue
            # the longest known module the name refers to
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else None
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    return None


def test_the_import_graph_is_read_from_the_source():
    assert "workbench.project" in MODULES
    assert "workbench.storage" in GRAPH["workbench.project"]
    assert "workbench.errors" in GRAPH["workbench.storage._kernel"]


def test_no_import_cycle():
    # Tarjan's strongly connected components over the module graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH.get(v, ()):
            if w not in GRAPH:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    # a package importing its own submodules and those importing the package's siblings
    # through it is the one allowed shape: workbench/__init__ re-exports everything
    cycles = [c for c in cycles if c != ["workbench"]]
    cycles = [[m for m in c if m != "workbench"] for c in cycles]
    cycles = [c for c in cycles if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_imports_flow_down_the_layers():
    wrong = []
    for module, targets in GRAPH.items():
        here = _layer(module)
        if here is None:
            continue
        for target in targets:
            there = _layer(target)
            if there is not None and there > here:
                wrong.append(f"{module} imports {target} (layer {there} is below layer {here})")
    assert not wrong, "\n".join(wrong)


def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if m != "workbench" and _layer(m) is None)
    assert not missing, f"modules outside DESIGN's layers (add them to LAYERS): {missing}"


def test_modules_are_small():
    big = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding='utf-8').splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_project_is_a_plain_facade():
    assert wb.Project.__bases__ == (object,)
    undocumented = []
    for name, member in inspect.getmembers(wb.Project):
        if name.startswith("_") or not callable(member):
            continue
        doc = inspect.getdoc(member) or ""
        if "Parameters" not in doc and len(inspect.signature(member).parameters) > 1:
            undocumented.append(f"{name}: no Parameters section")
        if "Returns" not in doc and "Yields" not in doc:
            undocumented.append(f"{name}: no Returns section")
    assert not undocumented, "\n".join(undocumented)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("workbench.widgets")))
def test_widgets_do_not_reach_for_the_driver(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] == "sqlalchemy" for a in node.names), module
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            assert (node.module or "").split(".")[0] != "sqlalchemy", module
