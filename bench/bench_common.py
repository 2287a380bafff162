"""Helpers of ``dashboard_latency.py`` and ``ingest_throughput.py``: a clean copy of the code
to serve, uvicorn on 127.0.0.1, migrations, the machine's description, percentiles.

The working tree may be mid-edit by someone else, so by default the benchmarks serve a
commit exported with ``git archive`` (plus this ``bench/`` directory); ``--ref worktree``
serves the working tree as it is.
"""

import io
import math
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
HOST = "127.0.0.1"
CLEARED_ENV = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "PYTHONPATH"}


def git(*args):
    return subprocess.run(
        ["git", "-C", str(REPO_DIR), *args], capture_output=True, text=True, check=True
    ).stdout


def export_ref(ref, workdir):
    """``(root, commit)``: a clean copy of ``ref`` plus this bench, or the working tree."""
    if ref == "worktree":
        return REPO_DIR, None
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()
    root = workdir / f"src-{commit[:12]}"
    archive = subprocess.run(
        ["git", "-C", str(REPO_DIR), "archive", commit], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    shutil.copytree(BENCH_DIR, root / "bench", dirs_exist_ok=True)
    return root, commit


def describe_code(root, commit):
    if commit:
        return f"commit {commit} (exported to {root})"
    dirty = " with uncommitted changes" if git("status", "--porcelain").strip() else ""
    return f"working tree at {git('rev-parse', 'HEAD').strip()}{dirty}"


def django_env(root, settings="ecommerce_project.settings", debug=False, **extra):
    """The environment of a server or a manage.py run serving ``root``'s code."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        PYTHONPATH=os.pathsep.join(str(root / sub) for sub in ("", "src", "example")),
        DEBUG="true" if debug else "false",
    )
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


def manage(root, env, *command, timeout=600):
    done = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=root / "example",
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        sys.exit(f"manage.py {' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """One uvicorn process, one worker, serving the example project on 127.0.0.1."""

    def __init__(self, name, root, env, log_dir):
        self.name, self.root, self.env = name, root, env
        self.port = free_port()
        self.log = log_dir / f"uvicorn-{name}.log"
        self.process = None

    def start(self):
        command = [
            sys.executable, "-m", "uvicorn", "ecommerce_project.asgi:application",
            "--app-dir", str(self.root / "example"), "--host", HOST, "--port", str(self.port),
            "--workers", "1", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        log = open(self.log, "w")  # noqa: SIM115 (open as long as the server runs)
        self.process = subprocess.Popen(
            command, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def fail(self, message):
        text = self.log.read_text()[-3000:] if self.log.exists() else ""
        sys.exit(f"{self.name}: {message}\n{text}")

    def wait_until_up(self, path="/api/v1/debugging/health/", seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.fail("uvicorn exited")
            try:
                with urllib.request.urlopen(self.url(path), timeout=5) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code
            except OSError:
                time.sleep(0.2)
        self.fail(f"no answer within {seconds} s")
        return None

    def cpu_seconds(self):
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def stop(self, timeout=30):
        """SIGTERM: uvicorn's lifespan shutdown lets the recorder write what it holds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def busy_cores(seconds):
    """CPU cores the whole machine kept busy over the next ``seconds``."""
    before = psutil.cpu_times()
    time.sleep(seconds)
    after = psutil.cpu_times()
    idle = (after.idle - before.idle) + (after.iowait - before.iowait)
    return max(0.0, (sum(after) - sum(before) - idle) / seconds)


def wait_for_quiet(max_wait, threshold=0.3, sample=2.0):
    """Wait (at most ``max_wait`` s) until the machine is idle but for ``threshold`` cores:
    on a small shared machine another benchmark would distort the figures, and ours its.
    Returns the busy cores last seen and the seconds waited."""
    started = time.monotonic()
    busy = busy_cores(sample)
    while busy > threshold and time.monotonic() - started < max_wait:
        busy = busy_cores(sample)
    return busy, time.monotonic() - started


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    return sorted_values[max(1, math.ceil(fraction * len(sorted_values))) - 1]


def postgres_version(url):
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = "postgres"  # the bench's own database may not exist yet
    try:
        with psycopg.connect(psycopg.conninfo.make_conninfo(**info), connect_timeout=5) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        return "unavailable"


def machine(database_url=None):
    """One line: date, CPUs, memory, Python, Django, uvicorn, SQLite, PostgreSQL, load."""
    import django
    import uvicorn

    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "")
    memory = psutil.virtual_memory().total / 2**30
    parts = [
        time.strftime("%Y-%m-%d %H:%M %Z"),
        f"nproc {os.cpu_count()} ({cpu}), {memory:.0f} GiB RAM",
        f"Python {platform.python_version()}",
        f"Django {django.__version__}",
        f"uvicorn {uvicorn.__version__}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if database_url:
        parts.append(f"PostgreSQL {postgres_version(database_url)}")
    parts.append(f"load average at start {os.getloadavg()[0]:.2f}")
    return "; ".join(parts)
