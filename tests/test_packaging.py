"""The distribution as an index would carry it: ``python -m build`` makes an sdist and a
wheel, the wheel installs into a fresh virtualenv, and a project of its own serves the
dashboard page and its static files from the installed package, not from this checkout.

The fresh virtualenv borrows its dependencies from the running one (a ``.pth`` line, read
after its own site-packages) instead of downloading them; the wheel itself is installed
with pip, from the file only."""

import http.cookiejar
import re
import subprocess
import sys
import sysconfig
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.servers import free_port

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "packaged-pass-1"
# What the dashboard needs at run time beside the code: its page, its scripts, its tables.
SHIPPED = [
    "flowscope/templates/flowscope/dashboard/page.html",
    "flowscope/templates/flowscope/reports/report.html",
    "flowscope/static/flowscope/dashboard/app.js",
    "flowscope/static/flowscope/flowscope.js",
    "flowscope/migrations/0001_initial.py",
]

SETTINGS = """
SECRET_KEY = "packaged-project"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "flowscope",
]
MIDDLEWARE = [
    "flowscope.capture.middleware.FlowscopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "packaged_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "packaged.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
USE_TZ = True
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
"""

URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/debugging/", include("flowscope.urls")),
    path("debugging/", include("flowscope.dashboard.urls")),
]
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel, built from this checkout with the running environment's
    setuptools (no isolated environment to download)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    (sdist,) = out.glob("flowscope-*.tar.gz")
    (wheel,) = out.glob("flowscope-*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    """A fresh virtualenv with the wheel installed; its Python."""
    env = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    borrowed = sysconfig.get_paths()["purelib"]
    (Path(site) / "borrowed_dependencies.pth").write_text(borrowed + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-index", "--no-deps", str(dist[1])],
        check=True,
        capture_output=True,
        text=True,
    )
    return python


def test_the_wheel_and_sdist_carry_templates_static_files_and_migrations(dist):
    sdist, wheel = dist
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        (metadata,) = [name for name in in_wheel if name.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata).decode()
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert set(SHIPPED) <= in_wheel
    assert {f"src/{name}" for name in SHIPPED} <= in_sdist
    assert "LICENSE" in in_sdist
    assert not any(name.startswith(("tests/", "example/")) for name in in_wheel)
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Framework :: Django :: 5.2" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "Provides-Extra: mysql" in metadata
    assert "Description-Content-Type: text/markdown" in metadata


def test_a_project_serves_the_dashboard_from_the_installed_wheel(installed, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "packaged_settings.py").write_text(SETTINGS)
    (project / "packaged_urls.py").write_text(URLS)
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "packaged_settings",
        "PYTHONPATH": str(project),
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }

    def django(*args):
        return subprocess.run(
            [str(installed), "-m", "django", *args],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    where = subprocess.run(
        [str(installed), "-c", "import flowscope; print(flowscope.__file__)"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.parent.parent), where
    django("migrate", "--noinput", "-v", "0")
    django("createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.com")

    port = free_port()
    server = subprocess.Popen(
        [str(installed), "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        browser = signed_in_browser(base, server)
        with browser.open(f"{base}/debugging/", timeout=30) as response:
            page = response.read().decode()
        assert response.status == 200
        script = re.search(r'src="(/static/flowscope/dashboard/[^"]+\.js)"', page)
        assert script, page[:2000]
        with browser.open(base + script[1], timeout=30) as response:
            served = response.read()
        installed_file = Path(where).parent / "static" / script[1].removeprefix("/static/")
        assert response.status == 200
        assert served == installed_file.read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def signed_in_browser(base, server, seconds=60):
    """An opener holding an admin session, once the server answers."""
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login = f"{base}/admin/login/"
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise AssertionError(f"runserver exited: {server.stdout.read()}")
        try:
            with browser.open(login, timeout=30) as response:
                form = response.read().decode()
            break
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": "admin",
            "password": PASSWORD,
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(login, data=body, headers={"Referer": login})
    with browser.open(request, timeout=30) as response:
        assert "/admin/login/" not in response.url, "the admin did not sign in"
    return browser
