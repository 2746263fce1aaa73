"""The house rules of DESIGN.md §1 that import-linter's contracts (pyproject.toml) lean on:
no module imports in a circle, and every module of ``app`` is either a leaf the packages may
use or wiring that the contract forbids them, so a new ``app`` module cannot slip past it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "messaging", "agent", "knowledge", "booking", "emr", "payments", "scripts")
#: app's leaf modules: they import nothing of ours, and every package may import them.
LEAVES = {
    "app",
    "app.db",
    "app.settings",
    "app.clock",
    "app.errors",
    "app.vendor_http",
    "app.untrusted",
}


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_in_a_circle() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_every_app_module_is_a_leaf_or_forbidden_to_the_packages() -> None:
    graph = grimp.build_graph("app", cache_dir=None)
    [wiring] = [c for c in _contracts() if c["name"].startswith("Product packages never reach")]
    forbidden = set(wiring["forbidden_modules"])
    for module in sorted(graph.modules):
        top = ".".join(module.split(".")[:2])
        assert module in LEAVES or top in forbidden, f"{module}: add it to LEAVES or the contract"


def test_leaves_import_nothing_of_ours() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    for leaf in LEAVES - {"app"}:
        if leaf in graph.modules:
            ours = {m for m in graph.find_modules_directly_imported_by(leaf) if m != "app"}
            assert ours == set(), f"{leaf} imports {sorted(ours)}"
