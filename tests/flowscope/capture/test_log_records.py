"""Log records become errors without flowscope changing where the host's logs go."""

import code
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from flowscope.models import ErrorLog
from flowscope.testing import capture_traces

pytestmark = pytest.mark.urls("tests.flowscope.capture.views")

ROOT = Path(__file__).resolve().parents[3]

# A host with flowscope installed and no logging configuration of its own for these
# loggers (the example's LOGGING only names flowscope's): Python prints their warnings to
# stderr through its last resort, as it does without flowscope.
HOST_WITHOUT_LOGGING = """
import json, logging
import django
django.setup()
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
from flowscope.testing import capture_traces

setup_test_environment()
with capture_traces() as records:
    logging.getLogger("shop.stock").warning("stock low outside any request")
    with override_settings(ROOT_URLCONF="tests.flowscope.capture.views"):
        Client().get("/warn/")
errors = [getattr(r, "errors", [r]) for r in records]
print(json.dumps([[e.kind, e.message] for found in errors for e in found]))
"""


def test_a_host_without_logging_config_still_sees_its_warnings_on_stderr(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ecommerce_project.settings",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "example"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "FLOWSCOPE_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", HOST_WITHOUT_LOGGING],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stderr.splitlines()
    assert "stock low outside any request" in printed
    assert "stock low for product 42" in printed  # logged by the view, during the request
    assert json.loads(done.stdout) == [
        ["log", "stock low outside any request"],
        ["log", "stock low for product 42"],
    ]


@pytest.mark.django_db
def test_records_of_a_logger_that_does_not_propagate_stay_its_own():
    quiet = logging.getLogger("tests.app")
    quiet.propagate = False
    try:
        with capture_traces() as traces:
            Client().get("/warn/")
    finally:
        quiet.propagate = True
    assert traces[0].errors == []


def test_the_same_warning_from_a_shell_and_from_a_request_is_one_error(real_recorder):
    shell = code.InteractiveInterpreter()  # what `manage.py shell` runs
    shell.runsource("import logging")
    shell.runsource('logging.getLogger("tests.app").warning("stock low for product %s", 42)')
    Client().get("/warn/")  # logs the same from its view
    assert real_recorder.flush(10)
    from_shell = ErrorLog.objects.get(workflow=None)
    from_request = ErrorLog.objects.get(workflow__isnull=False)
    assert from_shell.message == from_request.message == "stock low for product 42"
    assert from_shell.fingerprint == from_request.fingerprint
