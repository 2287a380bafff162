"""The REST API and the sockets stand side by side on the read model and the wire shapes:
neither imports the other, the page borrows from neither, and reports only lay out what
the read model answers."""

import ast
from pathlib import Path

import flowscope

PACKAGE = Path(flowscope.__file__).parent
# The health view reports the live publisher's counters: its one look into realtime.
ALLOWED = {("api/views/health.py", "flowscope.realtime.publisher")}


def imports_of(folder):
    """``{(module path, imported flowscope module)}`` of every module under ``folder``."""
    found = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            relative = path.relative_to(PACKAGE).as_posix()
            found |= {(relative, name) for name in names if name.startswith("flowscope.")}
    return found


def reaching(folder, other):
    return {
        pair for pair in imports_of(folder) if pair[1] == other or pair[1].startswith(other + ".")
    } - ALLOWED


def test_the_api_and_the_sockets_do_not_import_each_other():
    assert reaching("api", "flowscope.realtime") == set()
    assert reaching("realtime", "flowscope.api") == set()


def test_the_page_borrows_from_neither():
    assert reaching("dashboard", "flowscope.api") == set()
    assert reaching("dashboard", "flowscope.realtime") == set()


def test_report_layouts_query_nothing_themselves():
    layouts = [
        path
        for path in (PACKAGE / "reports").rglob("*.py")
        if path.name != "generate.py"  # stores the report it was given
    ]
    querying = [
        path.relative_to(PACKAGE).as_posix()
        for path in layouts
        if any(
            isinstance(node, ast.Attribute) and node.attr == "objects"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert querying == []
