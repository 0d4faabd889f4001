"""No import cycles between egovlib modules (issue 17), checked on the source, not at run time.

Every ``import`` and ``from ... import`` counts, at module level or inside a function (a local
import hides a cycle, it does not remove it); the implicit import of a parent package does not.
Modules imported by name at run time (``importlib.import_module``, as the reader registry does
for the reader modules) are not edges: that is how a lower module reaches plug-ins above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from egovlib import config

#: Modules whose cycles are someone else's open work (none of the data layer's).
DATA_LAYER = ("egovlib.countries", "egovlib.readers", "egovlib.sources", "egovlib.schemas")


def module_name(path: Path) -> str:
    rel = path.relative_to(config.PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> egovlib modules it imports (explicitly, anywhere in its source)."""
    files = {module_name(p): p for p in config.PACKAGE_DIR.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for a in node.names:  # `from . import config` imports the module egovlib.config
                    sub = f"{target}.{a.name}"
                    edges.add(sub if sub in files else target)
        graph[mod] = {e for e in edges if e in files and e != mod}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Modules reachable from ``start`` by one or more imports."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        mod = todo.pop()
        if mod not in seen:
            seen.add(mod)
            todo.extend(graph.get(mod, ()))
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of two or more modules that import each other, directly or through others."""
    reach = {m: reachable(graph, m) for m in graph}
    groups = {
        tuple(sorted({m} | {o for o in reach[m] if m in reach.get(o, ())}))
        for m in graph
        if m in reach[m]
    }
    return sorted(list(g) for g in groups if len(g) > 1)


def test_the_checker_finds_a_cycle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(g) == [["a", "b", "c"]]


def test_countries_and_readers_import_no_cycle():
    graph = import_graph()
    # the registry sits below countries: countries imports it, it imports nothing above
    assert "egovlib.readers.registry" in graph["egovlib.countries"]
    found = [c for c in cycles(graph) if any(m.startswith(DATA_LAYER) for m in c)]
    assert found == []


def test_no_import_cycles_anywhere():
    # cli <-> runner was the last cross-package one; the runner's own modules must not import
    # each other in a circle either (kernels once reached back into batch for a helper).
    assert cycles(import_graph()) == []


def test_cli_parses_and_runner_does_not_import_cli():
    graph = import_graph()
    assert "egovlib.cli" not in reachable(graph, "egovlib.runner")
    assert not any(m.startswith("egovlib.cli") for m in reachable(graph, "egovlib.runner.batch"))
