"""What every benchmark script shares: a clean copy of the code to serve, Django's
environment and management commands, uvicorn on 127.0.0.1, a staff token and the recorder's
counters, CPU clocks, waiting for a quiet machine, the measured window of a closed-loop load
generator, percentiles, and the machine's description.

The working tree may be mid-edit by someone else, so a benchmark can serve a commit
exported with ``git archive`` (plus this ``bench/`` directory); ``--ref worktree`` serves
the working tree as it is.
"""

import asyncio
import io
import json
import math
import os
import platform
import resource
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
HEALTH_PATH = "/api/v1/debugging/health/"
STAFF_USERNAME = "bench-staff"


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


def migrate(root, env, seed=False):
    """A migrated database; with ``seed``, the demo catalogue and accounts too."""
    manage(root, env, "migrate", "--noinput", "-v", "0")
    if seed:
        manage(root, env, "seed_demo")


def staff_token(root, env):
    """The API token of a staff user made for the benchmark (the health endpoint's counters
    are for staff only); the same key on every run."""
    code = (
        "from django.contrib.auth.models import User\n"
        "from rest_framework.authtoken.models import Token\n"
        f"user, _ = User.objects.update_or_create(username='{STAFF_USERNAME}', "
        "defaults={'is_staff': True, 'is_active': True})\n"
        "Token.objects.filter(user=user).delete()\n"
        "print(Token.objects.create(user=user).key)\n"
    )
    return manage(root, env, "shell", "-c", code).split()[-1]


def django_in_process(root, env):
    """Set up Django in this process, as a server of ``root`` with ``env`` would run it."""
    os.environ.clear()
    os.environ.update(env)
    sys.path[:0] = [str(root / sub) for sub in ("src", "example", "")]
    import django

    django.setup()


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """One uvicorn process, one worker, serving the example project on 127.0.0.1."""

    def __init__(self, name, root, env, log_dir, options=(), port=None):
        self.name, self.root, self.env = name, root, env
        self.options = list(options)  # more uvicorn options
        self.port = port or free_port()
        self.log = log_dir / f"uvicorn-{name}.log"
        self.process = None

    def start(self):
        command = [
            sys.executable, "-m", "uvicorn", "ecommerce_project.asgi:application",
            "--app-dir", str(self.root / "example"), "--host", HOST, "--port", str(self.port),
            "--workers", "1", "--no-access-log", "--log-level", "warning", *self.options,
        ]  # fmt: skip
        log = open(self.log, "w")  # noqa: SIM115 (open as long as the server runs)
        self.process = subprocess.Popen(
            command, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def fail(self, message):
        """Stop the benchmark with the server's own last words; the server goes too."""
        self.stop()
        text = self.log.read_text()[-3000:] if self.log.exists() else ""
        sys.exit(f"{self.name}: {message}\n{text}")

    def wait_until_up(self, path=HEALTH_PATH, seconds=60):
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


def recorder_counters(server, token):
    """The recorder's counters from flowscope's health endpoint, as staff (a 503, when a
    component is down, still has them)."""
    request = urllib.request.Request(
        server.url(HEALTH_PATH),
        headers={"Authorization": f"Token {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            body = json.loads(error.read())
    if "components" not in body:
        server.fail(f"the health endpoint did not answer as staff: {body}")
    return body["components"]["recorder"]


def busy_seconds():
    """CPU time the whole machine spent busy so far, every process together."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0)


def children_cpu_seconds():
    """CPU time of this process's finished children (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


async def measured_window(workers, stop, warmup, duration, finish_within=30):
    """Run ``workers`` (coroutines that loop until ``stop`` is set) for ``warmup`` seconds
    unmeasured and ``duration`` measured (then at most ``finish_within`` to finish);
    ``(start, end)`` of the window, perf_counter time."""
    tasks = [asyncio.create_task(worker) for worker in workers]
    await asyncio.sleep(warmup)
    start = time.perf_counter()
    await asyncio.sleep(duration)
    end = time.perf_counter()
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=finish_within)
    return start, end


def run_event_loop(main):
    """Run a coroutine on uvloop when it is there (uvicorn[standard] brings it): a load
    generator should cost as little as possible."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


async def read_answer(reader):
    """One HTTP/1.1 answer: ``(status, lowercased head, body, keep-alive)``; the body is
    read whole (Content-Length or chunked) so that the connection can be reused."""
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    body = b""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            body = await reader.readexactly(int(value))
            break
    else:
        if b"transfer-encoding: chunked" in head:
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                body += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
    return int(head[9:12]), head, body, b"\r\nconnection: close" not in head


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
