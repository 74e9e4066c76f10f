"""The package's shape: data flows one way through the stages, and only training imports TensorFlow.

Every import counts, including those inside functions: a lazy import against the flow
is still a dependency against it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "batchreader"

STAGES = ["io", "segment", "read", "run", "verify", "training", "api", "cli", "__main__"]
"""The order data flows in: a module may import its own stage and earlier ones only.
``errors``, ``schema`` and ``defaults`` come before every stage."""
BASE = {"batchreader.errors", "batchreader.schema", "batchreader.defaults"}
SCAN_TIME = {"io", "segment", "read", "run"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports (absolute names), wherever the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in MODULES else base)
    return out


GRAPH = {name: {m for m in _imports(name, path) if m in MODULES} for name, path in MODULES.items()}


def _stage(name: str) -> int | None:
    """Index of ``name``'s stage in :data:`STAGES`, -1 for the base modules, None for the package."""
    if name in BASE:
        return -1
    parts = name.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


def test_every_module_belongs_to_a_stage():
    unplaced = sorted(n for n in MODULES if n != "batchreader" and _stage(n) is None)
    assert not unplaced, f"modules outside the stages {STAGES}: {unplaced}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "batchreader"))
def test_imports_follow_the_flow(name):
    against = sorted(m for m in GRAPH[name] if m != "batchreader" and _stage(m) > _stage(name))
    assert not against, f"{name} imports later stages: {against}"


def test_no_import_cycles():
    # The package itself is left out: every module imports it (for __version__, at least).
    graph = {n: GRAPH[n] - {"batchreader"} for n in GRAPH if n != "batchreader"}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, f"import cycles: {cycles}"


def test_only_training_imports_tensorflow():
    heavy = {"tensorflow", "keras"}
    offenders = sorted(
        name
        for name, path in MODULES.items()
        if _stage(name) != STAGES.index("training") and {m.split(".")[0] for m in _imports(name, path)} & heavy
    )
    assert not offenders, f"TensorFlow imported outside batchreader.training: {offenders}"


def test_scan_time_stages_do_not_import_training():
    training = {n for n in MODULES if _stage(n) == STAGES.index("training")}
    offenders = sorted(n for n in MODULES if n.split(".")[1:2] and n.split(".")[1] in SCAN_TIME and GRAPH[n] & training)
    assert not offenders, f"scan-time modules importing training: {offenders}"


def test_the_package_exports_the_public_api():
    import batchreader
    from batchreader import api

    assert set(batchreader.__all__) == {"__version__", "scan", "review", "apply_corrections", "read_results", "train"}
    for name in batchreader.__all__[1:]:
        assert getattr(batchreader, name) is getattr(api, name)
