"""The example project run as `make demo` runs it: manage.py commands, uvicorn processes
on free loopback ports and ``flowscope_writer`` processes, for tests that need a real server
(or several). Their recorders write in-process (``FLOWSCOPE_TRANSPORT=thread``, even where
``REDIS_URL`` is set) unless the test's ``env`` says otherwise; ``redis_server`` starts a
private Redis that a test may stop."""

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "example"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict):
    """The ``DATABASE_URL`` of a PostgreSQL or MySQL database (the test database, say), for
    the example's processes."""
    scheme, port = {
        "django.db.backends.postgresql": ("postgres", 5432),
        "django.db.backends.mysql": ("mysql", 3306),
    }[settings_dict["ENGINE"]]
    login = settings_dict["USER"] + (
        f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    )
    host = f"{settings_dict['HOST']}:{settings_dict['PORT'] or port}"
    return f"{scheme}://{login}@{host}/{settings_dict['NAME']}"


def in_process(env):
    return {"FLOWSCOPE_TRANSPORT": "thread", **env}


def manage(env, *args):
    """Run ``manage.py`` with ``args`` in ``env``; its standard output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE_DIR,
        env=in_process(env),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def get_json(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def wait_until_up(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"uvicorn exited: {process.stdout.read()}")
        try:
            return get_json(url)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@contextmanager
def uvicorn(env, *options):
    """A uvicorn process serving the example's ASGI app; ``(base url, process)``. Stopped
    with SIGTERM at the end, so its lifespan shutdown runs."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ecommerce_project.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *options,
        ],
        cwd=EXAMPLE_DIR,
        env=in_process(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@contextmanager
def flowscope_writer(env, *options):
    """A ``manage.py flowscope_writer`` process (its output in a file: a test reads it when
    the process fails); stopped with SIGTERM, or already killed by the test."""
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "flowscope_writer", *options],
            cwd=EXAMPLE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
            output.seek(0)
            process.output = output.read()


def redis_available():
    return shutil.which("redis-server") is not None


class RedisServer:
    """A private, memory-only redis-server on a free port that a test may stop and start."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self, seconds=30):
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(
            ["redis-server", *options, "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"redis-server on port {self.port} did not start in {seconds} s")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
