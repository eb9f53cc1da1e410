"""The shape of the code: no import cycle between feature packages, no oversized module, no
queries in views. Read from the source with ast, so nothing here imports the application."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PLATFORM = Path(__file__).resolve().parent.parent / "platform"
PACKAGE = PLATFORM / "touchpoints"
MAX_LINES = 500

#: Demo data: long by nature (two agencies' lists written out), read by nobody at run time.
OVERSIZED_DEMO_DATA = {
    "touchpoints/demo/data.py",
    "touchpoints/demo/seed.py",
}


def _features() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}


def _modules() -> list[Path]:
    return sorted(p for p in PLATFORM.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path, tree: ast.AST) -> list[tuple[str, int]]:
    """Absolute names of every import in the module, at any depth (function-level too)."""
    package = ".".join(path.relative_to(PLATFORM).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            out.append((base, node.lineno))
            out += [(f"{base}.{a.name}", node.lineno) for a in node.names]
    return out


def import_graph() -> dict[str, dict[str, list[str]]]:
    """feature -> feature it imports -> where ("lists/services.py:12")."""
    features = _features()
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) < 2 or rel.parts[0] not in features:
            continue
        source = rel.parts[0]
        for name, line in _imported(path, ast.parse(path.read_text(encoding="utf-8"))):
            parts = name.split(".")
            inside = parts[0] == "touchpoints" and len(parts) > 1 and parts[1] in features
            if inside and parts[1] != source:
                graph[source][parts[1]].append(f"{rel.as_posix()}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    nodes = set(graph) | {w for targets in graph.values() for w in targets}
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle_and_a_function_level_import(tmp_path):
    # The detector itself: a function-level import closing a loop is a cycle.
    tree = ast.parse("def f():\n    from touchpoints.b.x import y\n")
    names = [n for n, _ in _imported(PACKAGE / "a" / "m.py", tree)]
    assert "touchpoints.b.x" in names
    tree = ast.parse("from .models import Entry\nfrom . import policy\n")
    names = [n for n, _ in _imported(PACKAGE / "lists" / "services.py", tree)]
    assert "touchpoints.lists.models" in names and "touchpoints.lists.policy" in names
    graph = {"a": {"b": ["a/m.py:2"]}, "b": {"c": ["b/x.py:1"]}, "c": {"a": ["c/y.py:1"]}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": ["a/m.py:1"]}, "b": {}}) == []


def test_no_import_cycle_between_feature_packages():
    graph = import_graph()
    assert graph["lists"], "the import graph came out empty: the parser is broken"
    found = cycles(graph)
    detail = []
    for component in found:
        for a in component:
            for b in component:
                if b in graph.get(a, {}):
                    detail.append(f"{a} -> {b}: {', '.join(sorted(graph[a][b])[:3])}")
    assert not found, "import cycles between packages:\n" + "\n".join(detail)


def _relative(path: Path) -> str:
    return path.relative_to(PLATFORM).as_posix()


def test_no_module_over_500_lines():
    too_long = {
        _relative(p): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    unexpected = {k: v for k, v in too_long.items() if k not in OVERSIZED_DEMO_DATA}
    assert not unexpected, f"modules over {MAX_LINES} lines: {unexpected}"


@pytest.mark.parametrize("allowed", sorted(OVERSIZED_DEMO_DATA))
def test_allow_lists_name_existing_files(allowed):
    # A file that was split or renamed leaves the list, so the list only ever shrinks.
    assert (PLATFORM / allowed).exists(), f"{allowed} no longer exists: drop it from the list"


def _queries(tree: ast.AST) -> list[int]:
    """Lines calling select(…) or sa.select(…) / sqlalchemy.select(…)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            if (isinstance(fn, ast.Name) and fn.id == "select") or (
                isinstance(fn, ast.Attribute)
                and fn.attr == "select"
                and isinstance(fn.value, ast.Name)
                and fn.value.id in ("sa", "sqlalchemy")
            ):
                lines.append(node.lineno)
    return lines


def test_the_query_finder_sees_both_spellings():
    tree = ast.parse("q = sa.select(A)\nfrom sqlalchemy import select\nr = select(B)\nx.select()\n")
    assert _queries(tree) == [1, 3]


def test_views_hold_no_queries():
    routes = [
        p
        for p in PACKAGE.rglob("*.py")
        if p.name.endswith("routes.py") or p.parent.name == "routes"
    ]
    assert routes
    offending = {}
    for path in routes:
        rel = _relative(path)
        lines = _queries(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            offending[rel] = lines
    assert not offending, (
        f"route modules with queries (move them to a model or service): {offending}"
    )
