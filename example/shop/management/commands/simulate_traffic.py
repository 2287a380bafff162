"""Demo traffic: a population of customers running the shop's workflows over real HTTP.

Bounded: it stops after ``--duration`` seconds (or at SIGTERM, letting the customers in
flight finish), and sends to a loopback address unless ``--base-url`` names another host of
one's own. Each workflow is logged as it ends, so a log file follows the traffic.
"""

import queue
import random
import signal
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shop.management.commands.seed_demo import SHOPPERS
from shop.simulation import scenarios
from shop.simulation.browser import Browser

MAX_DURATION = 7 * 24 * 3600
MAX_IN_FLIGHT = len(SHOPPERS)  # each customer in flight has an account (and a cart) alone


class Command(BaseCommand):
    help = "Run simulated customers against the shop (and flowscope's ingest endpoint)."

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=1.0, help="workflows per second")
        parser.add_argument("--duration", type=float, default=60, help="seconds to run")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--wait-for-server",
            type=float,
            default=0,
            metavar="SECONDS",
            help="wait up to this long for the shop to answer first",
        )

    def handle(self, *args, rate, duration, base_url, seed, wait_for_server, **options):
        if not 0 < rate <= 100:
            raise CommandError("--rate must be above 0 and at most 100 workflows a second.")
        if not 0 < duration <= MAX_DURATION:
            raise CommandError(f"--duration must be above 0 and at most {MAX_DURATION} s.")
        base_url = base_url.rstrip("/")
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise CommandError("--base-url must be an http(s) URL.")
        if wait_for_server and not self.wait_for(base_url, wait_for_server):
            raise CommandError(f"{base_url} did not answer within {wait_for_server} s.")
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            outcomes = self.run(base_url, rate, duration, random.Random(seed), stop)
        finally:
            signal.signal(signal.SIGTERM, previous)
        summary = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
        self.stdout.write(f"Ran {sum(outcomes.values())} workflows: {summary}.")

    def run(self, base_url, rate, duration, rng, stop):
        outcomes, lock = Counter(), threading.Lock()
        in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        accounts = queue.SimpleQueue()
        for username in SHOPPERS:
            accounts.put(username)
        deadline = time.monotonic() + duration
        with ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="customer") as pool:
            while time.monotonic() < deadline and not stop.is_set():
                if in_flight.acquire(blocking=False):  # a saturated shop is not flooded
                    workflow_type, scenario = scenarios.pick(rng)
                    customer_rng = random.Random(rng.random())
                    pool.submit(
                        self.one_workflow,
                        base_url,
                        workflow_type,
                        scenario,
                        customer_rng,
                        outcomes,
                        lock,
                        (in_flight, accounts),
                    )
                else:
                    with lock:
                        outcomes["skipped"] += 1
                stop.wait(min(rng.expovariate(rate), max(0.0, deadline - time.monotonic())))
        return outcomes

    def one_workflow(self, base_url, workflow_type, scenario, rng, outcomes, lock, slot):
        in_flight, accounts = slot
        username = accounts.get()  # one is free: there are as many as customers in flight
        browser = Browser(base_url, workflow_type, settings.FLOWSCOPE_INGEST_KEY, username=username)
        started = time.monotonic()
        try:
            scenario(browser, rng)
            browser.send_events()
            name = scenario.__name__
        except Exception as exc:  # one customer's trouble must not stop the simulation
            name = f"crashed ({type(exc).__name__})"
        finally:
            accounts.put(username)
            in_flight.release()
        with lock:
            outcomes[name] += 1
            self.log(workflow_type, username, name, time.monotonic() - started)

    def log(self, workflow_type, username, outcome, seconds):
        clock = time.strftime("%H:%M:%S")
        self.stdout.write(f"{clock} {workflow_type} as {username}: {outcome} ({seconds:.1f} s)")
        self.stdout.flush()

    @staticmethod
    def wait_for(base_url, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base_url}/api/v1/products/?page_size=1", timeout=2):
                    return True
            except OSError:
                time.sleep(0.5)
        return False
