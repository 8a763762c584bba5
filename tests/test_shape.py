"""The package's shape, read from its own imports (imports inside functions count): the core
imports nothing around it, each outer part imports only what lies further in, and no modules
import each other in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "inspector"

# Which part may import which: arrows point inward only. The settings (conf) are innermost and
# import nothing of the package; "top" is Django's other fixed places (models, checks, urls,
# admin, apps) and the template tags.
ALLOWED = {
    "conf": set(),
    "core": {"core", "conf"},
    "served": {"served", "core", "conf"},
    "collection": {"collection", "core", "conf", "models"},
    "panels": {"panels", "core", "conf"},
    "management": {"management", "core", "served", "conf"},
    "web": {"web", "core", "served", "collection", "conf", "models"},
    "top": {"top", "core", "web", "conf", "models"},
}
# Request, template, URL, view, management and toolbar code stays out of the core.
FORBIDDEN_IN_CORE = (
    "django.http",
    "django.template",
    "django.shortcuts",
    "django.urls",
    "django.views",
    "django.core.management",
    "debug_toolbar",
)


def module_of(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    names = module.split(".")
    if len(names) > 1 and names[1] in ALLOWED and names[1] != "top":
        return names[1]
    return (
        "conf"
        if module == "inspector.conf"
        else "models"
        if module == "inspector.models"
        else "top"
    )


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute or relative, at any depth of its code."""
    module = module_of(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                stem = package[: len(package) - node.level + 1]
                base = ".".join([*stem, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    files = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    modules = {module_of(p): p for p in files}
    edges: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imports_of(path):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            # A package's __init__ importing its own children is its face, not an arrow.
            if name and name != module and not name.startswith(module + "."):
                targets.add(name)
        edges[module] = targets
    return edges


def test_arrows_point_inward_only() -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        for target in targets
        if part_of(target) not in ALLOWED[_bucket(part_of(module))]
    ]
    assert wrong == []


def _bucket(part: str) -> str:
    return "top" if part == "models" else part


def test_the_core_imports_no_request_or_toolbar_code() -> None:
    offending = [
        f"{module_of(path)} imports {name}"
        for path in (PACKAGE / "core").rglob("*.py")
        for name in imports_of(path)
        if name.startswith(FORBIDDEN_IN_CORE)
    ]
    assert offending == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    edges = graph()
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        for target in sorted(edges.get(module, ())):
            if target in trail:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in seen:
                seen.add(target)
                visit(target, [*trail, target])

    seen: set[str] = set()
    for start in sorted(edges):
        if start not in seen:
            seen.add(start)
            visit(start, [start])
    assert cycles == []


def test_what_the_hashing_processes_import_is_free_of_django() -> None:
    # A spawned process imports these without settings: nothing of Django may come with them.
    code = (
        "import sys, inspector.core.reading, inspector.core.pool, inspector.core.treewalk, "
        "inspector.core.screening, inspector.core.storage.folder; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]"
