"""Packages import only what lies below them on the data path (docs/architecture.md):

    capture -> records -> recording -> store (models) -> read model (analysis)
    -> api / realtime / reports / dashboard

A module may import the base modules (settings, models, signals, the internal-error guard,
percentiles, thresholds) and the packages its entry lists; anything else is an upward or
sideways import and fails here, with the line that does it.
"""

import ast
from pathlib import Path

import pytest

import flowscope

SOURCE = Path(flowscope.__file__).resolve().parent
BASE = {
    "flowscope.conf",
    "flowscope.diagnostics",
    "flowscope.models",
    "flowscope.signals",
    "flowscope.internal_errors",
    "flowscope.percentiles",
    "flowscope.thresholds",
}
# package -> the flowscope packages it may import (its own always).
ALLOWED = {
    "records": set(),
    "recording": {"records"},
    "capture": {"records", "recording"},
    "ingest": {"records", "recording", "api.exceptions"},
    "analysis": {"records", "wire"},
    "wire": set(),
    "access": set(),
    "manual_testing": {"records", "recording", "wire"},
    "reports": {"analysis", "records", "wire"},
    "realtime": {"analysis", "records", "recording", "wire", "access"},
    "api": {"analysis", "records", "recording", "wire", "access", "manual_testing", "reports"},
    "dashboard": {"access"},
    "management": {"analysis", "recording", "records"},
}


def package_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def flowscope_imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            if node.module == "flowscope" or node.module.startswith("flowscope."):
                yield node.lineno, names
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("flowscope."):
                    yield node.lineno, [alias.name]


def is_allowed(importer_package, names, allowed):
    """An import is fine when any name it brings is in the importer's own package, a base
    module, or an allowed package (or an allowed module of one)."""
    for name in names:
        if name in BASE:
            return True
        target = name.removeprefix("flowscope.")
        if package_of(name) == importer_package:
            return True
        if any(target == a or target.startswith(f"{a}.") for a in allowed):
            return True
    return False


def modules_in(package):
    folder = SOURCE / package
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [SOURCE / f"{package}.py"]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_nothing_above_it(package):
    allowed = ALLOWED[package]
    wrong = []
    for path in modules_in(package):
        for line, names in flowscope_imports(path):
            if not is_allowed(package, names, allowed):
                wrong.append(f"{path.relative_to(SOURCE)}:{line} imports {names[0]}")
    assert not wrong, "\n".join(wrong)


def test_every_package_has_a_rule():
    packages = {p.name for p in SOURCE.iterdir() if (p / "__init__.py").exists()}
    assert packages - {"migrations"} <= set(ALLOWED), sorted(packages - set(ALLOWED))


@pytest.mark.parametrize("module", sorted(BASE))
def test_base_modules_import_only_base_modules(module):
    path = SOURCE / f"{module.removeprefix('flowscope.')}.py"
    wrong = [
        f"{path.name}:{line} imports {names[0]}"
        for line, names in flowscope_imports(path)
        if not any(name in BASE for name in names)
    ]
    assert not wrong, "\n".join(wrong)


def test_report_layouts_query_nothing_themselves():
    """Reports lay out what the read model answers; only ``generate`` stores the result."""
    layouts = [p for p in modules_in("reports") if p.name != "generate.py"]
    querying = [
        str(path.relative_to(SOURCE))
        for path in layouts
        if any(
            isinstance(node, ast.Attribute) and node.attr == "objects"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert querying == []
