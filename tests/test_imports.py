"""The import graph flows one way: pages → queries/figures → cockpit core → database.

The graph is built from the source with ``ast``, over ``app.py`` and the packages ``cockpit``,
``queries``, ``figures``, ``pages`` and ``web``. Every import statement counts, wherever it stands:
at the top of a module, inside a function (a deferred import still makes the module depend on
the other), under ``if TYPE_CHECKING:`` (a type-only import is still a dependency) and in
``try: … except ImportError``. ``import a.b`` and ``from a import b`` are edges to the module
``a.b`` when there is one, else to ``a``; the packages Python initialises on the way (``a`` for
``a.b``) are not counted, so a package's ``__init__`` may re-export its own modules.

The jobs that serve no request (CLI, scheduler, ETL) are also checked at run time, in a fresh
interpreter: they load no web code.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cockpit", "queries", "figures", "pages", "web")
WEB_MODULES = ("flask", "dash", "web")  # the web framework, the app framework, the cockpit's web package
# what each part of the code must never import (by the first part of the imported name)
FORBIDDEN = {
    "cockpit": {"app", "queries", "figures", "pages", "web", "dash", "flask"},
    "queries": {"app", "pages", "web", "dash", "flask"},
    "figures": {"app", "queries", "pages", "web", "dash", "flask"},
    "web": {"app", "queries", "figures", "pages", "dash"},
}
# The weekly report is the core's one reader of the read side: it typesets what queries/ returns with the
# builders of figures/, so the PDF carries the screens' numbers. Nothing on the read side imports it back.
READ_SIDE_CONSUMER = "cockpit.reports"
CONSUMER_FORBIDDEN = {"app", "pages", "web", "dash", "flask"}


@dataclass(frozen=True)
class Import:
    target: str  # the imported module (a project module, or the full dotted name of another one)
    line: int


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for ``app.py`` and every module of ``PACKAGES``."""
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """Every import statement of the module ``name``, at any depth, resolved as the docstring says."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.append(Import(submodule if submodule in modules else source, node.lineno))
    return found


def project_target(target: str, modules: dict[str, Path]) -> str | None:
    """The project module an imported name is (or lies in), or None for a module from elsewhere."""
    while target not in modules and "." in target:
        target = target.rsplit(".", 1)[0]
    return target if target in modules else None


def import_graph() -> tuple[dict[str, dict[str, int]], dict[str, list[Import]]]:
    """``(graph, imports)``: module -> {imported project module: line of the first such import},
    and every import of each module."""
    modules = project_modules()
    graph: dict[str, dict[str, int]] = {}
    every: dict[str, list[Import]] = {}
    for name, path in modules.items():
        every[name] = imports_of(name, path, modules)
        edges: dict[str, int] = {}
        for imp in every[name]:
            target = project_target(imp.target, modules)
            if target is not None and target != name:
                edges.setdefault(target, imp.line)
        graph[name] = edges
    return graph, every


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The groups of two or more modules that import each other, directly or around (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
    return groups


def one_cycle(graph: dict[str, dict[str, int]], group: list[str]) -> str:
    """A shortest way around from the group's first module back to it, with the importing lines."""
    members, start = set(group), group[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child not in members or child in came_from:
                continue
            came_from[child] = node
            if child == start:
                queue.clear()
                break
            queue.append(child)
    path = [start]
    while True:
        path.append(came_from[path[-1]])
        if path[-1] == start:
            break
    path.reverse()
    return " → ".join(f"{a} (line {graph[a][b]})" for a, b in zip(path, path[1:])) + f" → {start}"


def test_no_module_imports_itself_around_a_circle() -> None:
    graph, _ = import_graph()
    assert {"app", "cockpit.cli", "queries._base", "pages.board", "web.guard"} <= set(graph)
    cycles = [one_cycle(graph, group) + (f"  (in a knot of {', '.join(group)})" if len(group) > 2 else "")
              for group in strongly_connected(graph)]
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_the_core_imports_no_read_side_page_or_web_code() -> None:
    _, every = import_graph()
    wrong = []
    for module, imports in sorted(every.items()):
        consumer = module == READ_SIDE_CONSUMER or module.startswith(READ_SIDE_CONSUMER + ".")
        forbidden = CONSUMER_FORBIDDEN if consumer else FORBIDDEN.get(module.split(".")[0], set())
        wrong += [f"{module} (line {imp.line}) imports {imp.target}" for imp in imports
                  if imp.target.split(".")[0] in forbidden]
        if module.split(".")[0] in ("queries", "figures"):
            wrong += [f"{module} (line {imp.line}) imports {imp.target}" for imp in imports
                      if imp.target == READ_SIDE_CONSUMER or imp.target.startswith(READ_SIDE_CONSUMER + ".")]
    assert wrong == [], "\n".join(wrong)


def test_a_cycle_is_found_and_named() -> None:
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7, "d": 1}, "d": {}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert one_cycle(graph, ["a", "b", "c"]) == "a (line 3) → b (line 5) → c (line 7) → a"


def test_the_cli_the_scheduler_and_the_etl_load_no_web_code() -> None:
    """In a fresh interpreter (this one has loaded the app for other tests): import the CLI with
    every command's parser (the ``users`` command included), the scheduler and the ETL."""
    code = (
        "import json, sys\n"
        "import cockpit.cli, cockpit.scheduler, cockpit.etl\n"
        "cockpit.cli.build_parser()\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_MODULES!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported by the CLI, scheduler or ETL: {', '.join(loaded)}"
