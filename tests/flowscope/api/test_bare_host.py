"""A host that left out what flowscope can go without (``tests/settings_bare_host.py``),
from the start of its process: what ``manage.py check`` says, and that no endpoint of
flowscope's answers a 500 for it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.validation import validate_schema

import flowscope
from tests.servers import EXAMPLE_DIR

READ = """
import json
import django

django.setup()
from django.test import Client

client = Client(raise_request_exception=False)
answers = {}
headers = {"X-Flowscope-Health-Key": "k", "Accept": "application/vnd.oai.openapi+json, */*"}
for path in ["schema/", "schema/docs/", "health/"]:
    response = client.get(f"/api/v1/debugging/{path}", headers=headers)
    answers[path] = {"status": response.status_code, "type": response["Content-Type"],
                     "body": response.content.decode()}
print(json.dumps(answers))
"""


@pytest.fixture
def run(tmp_path):
    """Run Python in the example's folder as the bare host, on a database of its own."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_bare_host",
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE_DIR.parent), str(EXAMPLE_DIR)]),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'host.sqlite3'}",
        "FLOWSCOPE_TRANSPORT": "thread",
    }

    def run(*args):
        return subprocess.run(
            [sys.executable, *args],
            cwd=EXAMPLE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_check_names_each_missing_piece_with_its_fix(run):
    result = run("manage.py", "check")
    assert result.returncode == 0, result.stderr  # warnings, no errors
    output = result.stdout + result.stderr
    assert "flowscope.W006" in output and "'drf_spectacular'" in output
    assert "flowscope.W008" in output and "Set CHANNEL_LAYERS" in output


def test_no_endpoint_answers_500_for_a_missing_piece(run):
    result = run("-c", READ)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.splitlines()[-1])
    schema = answers["schema/"]
    assert schema["status"] == 200, schema["body"][:2000]
    validate_schema(json.loads(schema["body"]))
    assert any(path.endswith("/health/") for path in json.loads(schema["body"])["paths"])
    docs = answers["schema/docs/"]
    assert docs["status"] == 503 and docs["type"] == "application/json"
    assert "'drf_spectacular'" in json.loads(docs["body"])["detail"]
    health = answers["health/"]
    assert health["status"] == 200, health["body"]
    channel_layer = json.loads(health["body"])["components"]["channel_layer"]
    assert channel_layer["status"] == "off"
    assert channel_layer["detail"] == "no channel layer"


def test_flowscope_views_describe_themselves_on_flowscopes_schema_class():
    """drf-spectacular's own ``extend_schema`` builds on the host's DEFAULT_SCHEMA_CLASS:
    a view decorated with it breaks the schema of a host that does not set it."""
    source = Path(flowscope.__file__).parent
    direct = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if re.search(
            r"from drf_spectacular\.utils import [^\n]*\bextend_schema\b", path.read_text()
        )
        or re.search(
            r"from drf_spectacular\.utils import \([^)]*\bextend_schema,", path.read_text()
        )
    ]
    assert direct == ["api/schema.py"], "use flowscope.api.schema.extend_schema"
