"""No import circles among the harness's modules (house style 13).

The graph is built with `ast` from every module of `ftlab_harness` (imports inside functions
count too: a lazy import is still a dependency), and must have no cycle. The check itself is shown
to fail on `fixtures/cyclic_pkg`, whose two modules import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ftlab_harness

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def module_name(root: Path, package: str, path: Path) -> str:
    parts = [package, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """module -> the package's modules it imports (`from pkg import mod` resolves to the module)."""
    modules = {module_name(root, package, p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = [f"{origin}.{a.name}" for a in node.names] + [origin]
            for t in targets:
                # the longest prefix that is one of the package's modules
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    graph[mod].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_harness_has_no_import_cycle():
    root = Path(ftlab_harness.__file__).resolve().parent
    graph = import_graph(root, "ftlab_harness")
    assert len(graph) > 20 and "ftlab_harness.records" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_records_is_a_leaf():
    root = Path(ftlab_harness.__file__).resolve().parent
    graph = import_graph(root, "ftlab_harness")
    assert graph["ftlab_harness.records"] == set()


def test_the_check_finds_a_deliberate_cycle():
    graph = import_graph(FIXTURES / "cyclic_pkg", "cyclic_pkg")
    cycle = find_cycle(graph)
    assert cycle is not None and set(cycle) == {"cyclic_pkg.a", "cyclic_pkg.b"}, (graph, cycle)
