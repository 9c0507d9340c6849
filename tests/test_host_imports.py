"""The packages of ``host`` import each other without a cycle (every import counts, lazy ones too).

Nodes are ``host``'s sub-packages (``host.accel``, ``host.commands``, ``host.controllers``) and
its top-level modules (``host.trainer``, ``host.layers``, ...); an edge is an import anywhere
in a file, inside functions included, since a lazy import cycle is still a cycle of design.
"""

from __future__ import annotations

import ast
from pathlib import Path

HOST = Path(__file__).resolve().parents[1] / "host"


def _node(module: str) -> str:
    return ".".join(module.split(".")[:2])  # host.accel.rtl -> host.accel


def _module_name(path: Path) -> str:
    rel = path.relative_to(HOST.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            if node.module is None or node.level:  # "from . import x": x may be a module
                out.update(f"{target}.{a.name}" for a in node.names
                           if (HOST.parent / Path(*f"{target}.{a.name}".split("."))).exists()
                           or (HOST.parent / Path(*f"{target}.{a.name}".split(".")))
                           .with_suffix(".py").exists())
    return {m for m in out if m.startswith("host.") or m == "host"}


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in HOST.rglob("*.py"):
        src = _node(_module_name(path))
        if src == "host":
            continue  # host/__init__.py only names the package
        for dst in _imports(path):
            dst = _node(dst)
            if dst not in (src, "host"):
                graph.setdefault(src, set()).add(dst)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as a path (first node repeated at the end), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str]:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        state[n] = 2
        stack.pop()
        return []

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return []


def test_find_cycle_sees_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) == []


def test_the_graph_is_read_from_the_sources():
    graph = package_graph()
    assert "host.accel" in graph["host.trainer"] and "host.controllers" in graph["host.trainer"]
    assert "host.layers" in graph["host.controllers"]


def test_no_import_cycle_between_packages_of_host():
    cycle = find_cycle(package_graph())
    assert not cycle, " -> ".join(cycle)
