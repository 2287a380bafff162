"""The README's "Add Flowscope to your project", followed to the letter on a new
``django-admin startproject``: its code blocks are read from the README, so the test
breaks when the README drifts from what works.

Python blocks go into the file their lead-in names (appended "at the end of" it, or the
file "in full"); shell blocks run line by line, with ``pip install`` left out (flowscope is
installed here already), ``createsuperuser`` answered from the environment and the servers
started on free ports. Then, under uvicorn: a request of the project's is traced and read
back through flowscope's API as the staff user, the page and its script load, and the
dashboard socket connects; under runserver (WSGI) the page polls.
"""

import http.cookiejar
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.servers import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Add Flowscope to your project"
USER, PASSWORD = "admin", "a-long-enough-password"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w+)\n(?P<code>.*?)^(?P=indent)```$", re.M | re.S)


def readme_blocks():
    """``(lead-in, language, code)`` for each code block of the section, in order."""
    text = README.read_text()
    section = text[text.index(SECTION) :]
    section = section[: re.search(r"^##+ ", section[len(SECTION) :], re.M).start() + len(SECTION)]
    blocks, start = [], 0
    for fence in FENCE.finditer(section):
        lead_in = section[start : fence.start()].strip().split("\n\n")[-1]
        code = textwrap.dedent(fence["code"])
        blocks.append((" ".join(lead_in.split()), fence["lang"], code))
        start = fence.end()
    return blocks


def clean_env():
    """This process's environment without what points at the example project."""
    dropped = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env = {k: v for k, v in env.items() if not k.startswith("FLOWSCOPE_")}
    return {
        **env,
        "DJANGO_SUPERUSER_USERNAME": USER,
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
    }


class Follower:
    """Applies the README's blocks in a temporary folder; keeps the servers it asks for."""

    def __init__(self, root):
        self.cwd = root
        self.env = clean_env()
        self.servers = {}
        self.outputs = {}

    def apply(self, lead_in, lang, code):
        if lang == "python":
            self.edit(lead_in, code)
        elif lang == "sh":
            for line in code.splitlines():
                self.run(shlex.split(line, comments=True))
        else:
            pytest.fail(f"a {lang} block this test cannot follow: {code!r}")

    def edit(self, lead_in, code):
        named = re.search(r"`(mysite/\w+\.py)`", lead_in)
        assert named, f"a Python block without the file it goes in: {lead_in!r}"
        target = self.cwd / named[1]
        if "at the end of" in lead_in.lower():
            target.write_text(f"{target.read_text()}\n{code}")
        else:
            assert "in full" in lead_in, f"neither 'at the end of' nor 'in full': {lead_in!r}"
            target.write_text(code)

    def run(self, argv):
        if not argv or argv[:2] == ["pip", "install"]:
            return
        if argv[0] == "cd":
            self.cwd = self.cwd / argv[1]
        elif argv[0] == "django-admin":
            self.call([sys.executable, "-m", "django", *argv[1:]])
        elif argv[0] == "uvicorn":
            self.servers["uvicorn"] = [sys.executable, "-m", *argv, "--port", "{port}"]
        elif argv[:3] == ["python", "manage.py", "runserver"]:
            self.servers["runserver"] = [sys.executable, *argv[1:], "--noreload", "{port}"]
        elif argv[:2] == ["python", "manage.py"]:
            noinput = ["--noinput"] if argv[2] == "createsuperuser" else []
            self.outputs[argv[2]] = self.call([sys.executable, *argv[1:], *noinput])
        else:
            pytest.fail(f"a command this test does not know how to follow: {argv}")

    def call(self, argv):
        done = subprocess.run(argv, cwd=self.cwd, env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    @contextmanager
    def serving(self, name):
        port = free_port()
        argv = [part.replace("{port}", str(port)) for part in self.servers[name]]
        process = subprocess.Popen(
            argv, cwd=self.cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()


def wait_for(base, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()
        try:
            urllib.request.urlopen(f"{base}/debugging/health/", timeout=5).close()
            return
        except urllib.error.HTTPError:
            return  # answering
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{base} did not answer within {seconds} s")


class Browser:
    """A staff user's HTTP session, through the admin's login form."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path, headers=None):
        request = urllib.request.Request(f"{self.base}{path}", headers=headers or {})
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()

    def log_in(self):
        self.get("/admin/login/")
        form = {
            "username": USER,
            "password": PASSWORD,
            "csrfmiddlewaretoken": self.cookie("csrftoken"),
            "next": "/admin/",
        }
        data = urllib.parse.urlencode(form).encode()
        self.opener.open(f"{self.base}/admin/login/", data=data, timeout=10).close()
        assert self.cookie("sessionid"), "the admin's login form did not sign in"

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), None)

    def trace(self, correlation_id, seconds=30):
        """The workflow as flowscope's API answers it, once the recorder has written it."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return json.loads(self.get(f"/debugging/workflows/{correlation_id}/"))
            except urllib.error.HTTPError as error:
                if error.code != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)


def attribute(html, name):
    return re.search(rf'{name}="([^"]*)"', html)[1]


def step_names(steps):
    for step in steps:
        yield step["name"]
        yield from step_names(step.get("children", []))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    follower = Follower(tmp_path_factory.mktemp("startproject"))
    blocks = readme_blocks()
    assert [lang for _, lang, _ in blocks].count("python") == 3, blocks
    for block in blocks:
        follower.apply(*block)
    return follower


def test_check_finds_nothing_missing(project):
    assert "System check identified no issues" in project.outputs["check"]


def test_under_uvicorn_requests_are_traced_and_the_dashboard_is_live(project):
    with project.serving("uvicorn") as base:
        browser = Browser(base)
        browser.get("/admin/login/", headers={"X-Correlation-ID": "readme-first-request"})
        browser.log_in()
        page = browser.get("/debugging/")
        assert (attribute(page, "data-api-root"), attribute(page, "data-live")) == (
            "/debugging/",
            "websocket",
        )
        script = re.search(r'<script type="module" src="([^"]+)"', page)[1]
        assert "LiveConnection" in browser.get(script)  # the page's code, served

        trace = browser.trace("readme-first-request")
        assert "GET /admin/login/" in set(step_names(trace["steps"]))

        socket_url = base.replace("http", "ws") + attribute(page, "data-ws-dashboard")
        headers = {"Cookie": f"sessionid={browser.cookie('sessionid')}"}
        with connect(socket_url, origin=base, additional_headers=headers) as socket:
            assert json.loads(socket.recv(timeout=30))["type"] == "connection_established"


def test_under_runserver_the_page_polls(project):
    with project.serving("runserver") as base:
        browser = Browser(base)
        browser.log_in()
        assert attribute(browser.get("/debugging/"), "data-live") == "poll"
