"""The app's import graph, read from the source with `ast`: no loops, and dependencies run one
way (house style §8). Every import counts, including those inside functions: a deferred import
hides a loop, it does not remove it. Only imports under `if TYPE_CHECKING:` are left out (they
never run).

A loop is a strongly connected component of more than one module, or a module importing
itself; each is printed with the import lines that make it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = (
    "config",
    "accounts",
    "integrations",
    "mappings",
    "diagnostics",
    "alerts",
    "sandboxes",
    "sync",
)
# Imported only by the sandboxes' AppConfig, to register each sandbox with its provider.
SANDBOX_APP_MAY_IMPORT = ("integrations.providers.base", "integrations.providers.registry")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the app module it needs
    path: Path
    line: int

    def where(self) -> str:
        text = self.path.read_text().splitlines()[self.line - 1].strip()
        return f"{self.path.relative_to(ROOT)}:{self.line}: {text}"


def _modules() -> dict[str, Path]:
    modules = {}
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else ():
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST):
    """Every Import/ImportFrom below `node`, at any depth, except under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _import_nodes(child)


def _app_module(name: str) -> str | None:
    """The app module `name` is or lives in (`a.b.func` -> `a.b`); None outside the app."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: from the package of `module`
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    # `from pkg import name` needs pkg.name when that is a module, else pkg itself.
    return [
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
        for alias in node.names
    ]


def _imports() -> list[Import]:
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in _import_nodes(tree):
            for name in _targets(module, node):
                target = _app_module(name)
                if target is not None:
                    found.append(Import(module, target, path, node.lineno))
    return found


IMPORTS = _imports()


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is a few hundred modules deep at most)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _cycles() -> list[str]:
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in IMPORTS:
        edges[imp.source].add(imp.target)
        edges.setdefault(imp.target, set())  # every module is a node
    reports = []
    for component in _strongly_connected(edges):
        members = set(component)
        if len(component) == 1 and component[0] not in edges[component[0]]:
            continue
        lines = sorted(
            {imp.where() for imp in IMPORTS if imp.source in members and imp.target in members}
        )
        reports.append(
            f"loop between {', '.join(component)}:\n" + "\n".join(f"    {x}" for x in lines)
        )
    return reports


def _package(module: str) -> str:
    return module.partition(".")[0]


def test_the_source_was_found():
    assert "integrations.providers.registry" in MODULES
    assert "alerts.services" in MODULES
    assert any(imp.target == "integrations.models" for imp in IMPORTS)


def test_there_are_no_import_loops():
    cycles = _cycles()
    assert not cycles, f"{len(cycles)} import loop(s):\n" + "\n".join(cycles)


def test_only_the_sandboxes_import_the_sandboxes():
    offenders = [
        imp.where()
        for imp in IMPORTS
        if _package(imp.target) == "sandboxes" and _package(imp.source) != "sandboxes"
    ]
    assert not offenders, "\n".join(offenders)


def test_sandboxes_import_nothing_of_the_app_but_the_kit():
    offenders = []
    for imp in IMPORTS:
        if _package(imp.source) != "sandboxes":
            continue
        if _package(imp.target) != "sandboxes":
            allowed = imp.source == "sandboxes.apps" and imp.target in SANDBOX_APP_MAY_IMPORT
        else:
            # A sandbox package (sandboxes/<key>/) uses its own modules and the kit only.
            parts = imp.source.split(".")
            own = ".".join(parts[:2])
            is_sandbox_package = (
                len(parts) >= 2
                and parts[1] not in ("kit", "management")
                and MODULES[own].name == "__init__.py"
            )
            allowed = (
                not is_sandbox_package
                or imp.target == own
                or imp.target.startswith((own + ".", "sandboxes.kit"))
            )
        if not allowed:
            offenders.append(imp.where())
    assert not offenders, "\n".join(offenders)


def test_integrations_and_mappings_never_import_sync():
    offenders = [
        imp.where()
        for imp in IMPORTS
        if _package(imp.source) in ("integrations", "mappings") and _package(imp.target) == "sync"
    ]
    assert not offenders, "\n".join(offenders)


def test_alerts_import_neither_integrations_nor_diagnostics():
    offenders = [
        imp.where()
        for imp in IMPORTS
        if _package(imp.source) == "alerts"
        and _package(imp.target) in ("integrations", "diagnostics", "mappings", "sync")
    ]
    assert not offenders, "\n".join(offenders)


def _dynamic_imports(path: Path) -> list[str]:
    """`import_module(...)`/`__import__(...)` calls and f-strings that build a provider's
    module path."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}(...)")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value
                for part in node.values
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
            if "integrations.providers." in text:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: f-string {text!r}")
    return found


def test_only_the_registry_finds_providers_by_module_path():
    registry = ROOT / "integrations" / "providers" / "registry.py"
    offenders = [
        line
        for path in MODULES.values()
        if path != registry and "migrations" not in path.parts
        for line in _dynamic_imports(path)
    ]
    assert not offenders, "\n".join(offenders)


PROBED = ("module", "client", "transport", "provider", "webhooks", "auth", "info")
FORMER_PROBERS = [
    "integrations/oauth_flow.py",
    "integrations/sandbox_values.py",
    "integrations/webhooks.py",
    "integrations/token_health.py",
    "integrations/connection_check.py",
    "integrations/explorer.py",
    "mappings/catalogues.py",
]


def _hasattr_probes(path: Path) -> list[str]:
    """`hasattr(x, ...)` where x is named like a provider part (module, client, transport…)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "hasattr"
            and node.args
        ):
            subject = node.args[0]
            name = (
                subject.attr if isinstance(subject, ast.Attribute) else getattr(subject, "id", "")
            )
            if any(word in name.lower() for word in PROBED):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: hasattr({name}, ...)")
    return found


def test_nothing_probes_providers_with_hasattr():
    allowed = {ROOT / "integrations/providers/base.py", ROOT / "integrations/providers/registry.py"}
    paths = [*(ROOT / "integrations").glob("*.py"), *(ROOT / "mappings").glob("*.py")]
    offenders = [line for path in paths if path not in allowed for line in _hasattr_probes(path)]
    assert not offenders, "\n".join(offenders)


def test_the_former_probers_neither_import_by_name_nor_probe():
    for name in FORMER_PROBERS:
        text = (ROOT / name).read_text()
        assert "import_module" not in text, name
        assert "hasattr(" not in text, name


def test_the_reader_counts_deferred_imports_and_skips_type_checking_ones():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from integrations.models import Connection\n"
        "else:\n"
        "    import integrations.errors\n"
        "def f():\n"
        "    from integrations.inbox import webhook_event_store\n"
        "class C:\n"
        "    def m(self):\n"
        "        from . import tasks\n"
    )
    nodes = list(_import_nodes(tree))
    module = "integrations.webhooks"
    targets = [_app_module(name) for node in nodes for name in _targets(module, node)]
    assert targets == [None, "integrations.errors", "integrations.inbox", "integrations.tasks"]
    edges = {"a": {"b"}, "b": {"a"}, "c": {"c"}, "d": set()}
    assert sorted(_strongly_connected(edges)) == [["a", "b"], ["c"], ["d"]]
