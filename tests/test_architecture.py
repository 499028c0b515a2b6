"""The layout holds: no import cycles, layers point down only, and only the simulator's own users import it.

The import graph is read from the code (every ``import`` statement, also those inside functions), so a lazy
import that closes a circle or reaches up a layer is caught as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("features", "models", "training", "monitoring", "serving")  # lowest layer first
LAYER = {name: rank for rank, name in enumerate(PACKAGES)}
SIMULATOR = "features.simulate"
# The simulator's own command, the demo and the dataset loaders are the production modules that may use it.
MAY_USE_SIMULATOR = ("features.simulate", "features.datasets", "serving.demo", "serving.cli.simulate")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that ``name`` imports (``from a import b`` counts as ``a.b`` when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a name inside a module
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_the_code() -> None:
    # a graph that saw nothing would pass every check below
    graph = _graph()
    assert len(graph) > 80
    assert "models.rules" in graph["models.decision.builder"]
    assert "features.sources.schemas" in graph["features.sources.load"]


def test_there_are_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_layers_point_down_only() -> None:
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[source.split(".")[0]]
    )
    assert upward == []


def test_only_the_simulator_its_command_the_demo_and_dataset_loaders_import_the_simulator() -> None:
    offenders = sorted(
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if (target == SIMULATOR or target.startswith(SIMULATOR + "."))
        and not any(source == allowed or source.startswith(allowed + ".") for allowed in MAY_USE_SIMULATOR)
    )
    assert offenders == []


def test_features_training_and_monitoring_have_no_terminal_ui() -> None:
    # the command-line surfaces (typer, rich) live in serving.cli only
    offenders = []
    for package in ("features", "models", "training", "monitoring"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{_module_name(path)}: {n}" for n in names if n.split(".")[0] in ("typer", "rich")]
    assert offenders == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
