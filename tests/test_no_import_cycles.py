"""No module of tuner imports itself back, not even through an import deferred into a function.

import-linter (tests/test_lint.py) checks layers but sees a cycle only where a contract forbids
one direction, and a deferred import (`def f(): from tuner.x import y`) is the usual way a cycle
hides: the code runs, until someone moves the import to the top. This test reads every module
under tuner/ with `ast`, so it sees every import wherever it is written: at the top, inside a
function or a method, inside `try:`.

What counts as an edge from module M:
- `import tuner.a.b` and `from tuner.a.b import x` import `tuner.a.b`; when `x` is a submodule
  (a file `tuner/a/b/x.py` or a package `tuner/a/b/x/`), `tuner.a.b.x` is imported too.
  Relative imports are resolved against M's package.
- Python runs a package's `__init__` before any of its submodules, so importing `tuner.a.b.c`
  also imports the packages `tuner.a.b` and `tuner.a` -- except the packages M itself lives in:
  their `__init__` has already started by the time M runs (that is how M was reached), so a
  package `__init__` that imports its own submodules, and those submodules importing siblings,
  is the normal shape of a package and no cycle. A package `__init__` counts as the module of
  the package's name: what it imports are that package's edges.
- Imports under `if TYPE_CHECKING:` are left out: they never run, and type hints may name a
  type from a module that imports this one (the `from __future__ import annotations` at the top
  of each module keeps them as strings). Everything else counts.
- Only modules of tuner are nodes; imports of other packages are not followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tuner"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in `tree`, at any depth, except those under `if TYPE_CHECKING:`
    (their `else:` branch runs, so it is kept)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _targets(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The tuner modules that `module` imports, by the rules of the docstring."""
    named: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = _package_of(module, path).split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        submodules = {f"{base}.{alias.name}" for alias in node.names} & modules.keys()
        named.update(submodules)
        if len(submodules) < len(node.names):
            # A name that is no submodule is read from the package's `__init__`.
            named.add(base)
    own = _package_of(module, path).split(".")
    enclosing = {".".join(own[:i]) for i in range(1, len(own) + 1)}
    found: set[str] = set()
    for name in named:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in modules and (prefix == name or prefix not in enclosing):
                found.add(prefix)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    """Every tuner module and the tuner modules it imports."""
    modules = _all_modules()
    return {name: _targets(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle for each group of modules that import one another (Tarjan's strongly connected
    components, then a shortest way round each), so the failure names a path to cut."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a deep graph cannot hit the recursion limit.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return [_shortest_cycle(graph, group) for group in groups]


def _shortest_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return group


def test_no_module_imports_itself_back() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_reads_imports_as_the_docstring_says() -> None:
    graph = import_graph()
    assert len(graph) > 100
    # Deferred into a function: an edge, and the packages on the way are imported first.
    assert {"tuner.api", "tuner.api.open"} <= graph["tuner.commands._service"]
    # Relative, naming submodules of its own package: edges to them, not to the package.
    assert "tuner.emulator.multipart" in graph["tuner.emulator.bodies"]
    assert "tuner.emulator" not in graph["tuner.emulator.bodies"]
    # Under `if TYPE_CHECKING:` (the server names `Emulator` in a hint): no edge.
    assert "tuner.emulator" not in graph["tuner.emulator.server"]
    # A package's `__init__` is the package's node.
    assert "tuner.api.providers.openai.uploads" in graph["tuner.api.providers.openai"]


def test_a_cycle_is_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
