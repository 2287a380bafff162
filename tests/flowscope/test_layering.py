"""Packages import only what lies below them on the data path (docs/architecture.md):

    capture -> records -> recording -> store (models) -> read model (analysis)
    -> api / realtime / reports / dashboard

(capture builds records and hands them to recording; ingest does the same from outside.)

A module may import the base modules (settings, models, signals, the internal-error guard,
percentiles, thresholds, slots, the pages' policy) and the packages its entry lists;
anything else is an upward or sideways import and fails here, with the line that does it.
"""

import ast
from pathlib import Path

import pytest

import flowscope

SOURCE = Path(flowscope.__file__).resolve().parent
BASE = {
    "flowscope.conf",
    "flowscope.diagnostics",
    "flowscope.fields",
    "flowscope.mount",
    "flowscope.page_policy",
    "flowscope.models",
    "flowscope.signals",
    "flowscope.synthetic",
    "flowscope.slots",
    "flowscope.internal_errors",
    "flowscope.json_types",
    "flowscope.percentiles",
    "flowscope.prerequisites",
    "flowscope.thresholds",
}
# package -> the flowscope packages it may import (its own always).
ALLOWED = {
    "records": set(),
    "recording": {"records"},
    "capture": {"records", "recording"},
    "ingest": {"records", "recording", "api.exceptions", "api.parsers", "api.schema"},
    "analysis": {"wire"},
    "alerts": {"analysis"},
    "invariants": {"records", "recording"},
    "wire": set(),
    "access": set(),
    "manual_testing": {"records", "recording", "wire"},
    "regression": {"analysis", "manual_testing"},
    "reports": {"analysis", "records", "wire"},
    "realtime": {"analysis", "records", "wire", "access"},
    "api": {
        "analysis",
        "records",
        "wire",
        "access",
        "manual_testing",
        "reports",
        "invariants",
        "regression",
    },
    "dashboard": {"access"},
    "management": {"analysis", "recording", "records"},
    # System checks look at everything the host configures, so they sit above it all.
    "checks": {"analysis.budget_settings", "capture", "manual_testing", "records", "recording"},
}


def package_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def flowscope_imports(path):
    """``(line, module)`` for every flowscope module or package a file imports; ``from x
    import a, b`` counts as ``x.a`` and ``x.b`` (``x`` itself when ``a`` is a name in it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "flowscope" or node.module.startswith("flowscope."):
                for alias in node.names:
                    yield node.lineno, imported_module(node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("flowscope."):
                    yield node.lineno, alias.name


def imported_module(module, name):
    candidate = f"{module}.{name}"
    folder = SOURCE.joinpath(*candidate.split(".")[1:])
    is_module = folder.is_dir() or folder.with_suffix(".py").exists()
    return candidate if is_module else module


def is_allowed(importer_package, module, allowed):
    """Fine when the module is in the importer's own package, a base module, or in an
    allowed package (or is an allowed module of one)."""
    if module in BASE or package_of(module) == importer_package:
        return True
    target = module.removeprefix("flowscope.")
    return any(target == a or target.startswith(f"{a}.") for a in allowed)


def modules_in(package):
    folder = SOURCE / package
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [SOURCE / f"{package}.py"]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_nothing_above_it(package):
    allowed = ALLOWED[package]
    wrong = []
    for path in modules_in(package):
        for line, module in flowscope_imports(path):
            if not is_allowed(package, module, allowed):
                wrong.append(f"{path.relative_to(SOURCE)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_every_package_has_a_rule_and_is_a_package():
    folders = {p.name for p in SOURCE.iterdir() if p.is_dir() and any(p.rglob("*.py"))} - {
        "migrations"
    }
    assert folders <= set(ALLOWED), sorted(folders - set(ALLOWED))
    # A folder without __init__.py is left out of the built distribution.
    assert [p for p in SOURCE.rglob("*.py") if not (p.parent / "__init__.py").exists()] == []


@pytest.mark.parametrize("module", sorted(BASE))
def test_base_modules_import_only_base_modules(module):
    path = SOURCE / f"{module.removeprefix('flowscope.')}.py"
    wrong = [
        f"{path.name}:{line} imports {module}"
        for line, module in flowscope_imports(path)
        if module not in BASE | {"flowscope.records.trace"}  # models name the layers with it
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
