"""Sends claimed alerts from a thread of its own, through a bounded queue: a slow or
failing SMTP server or webhook never slows the writer that found the alert.

Each destination is tried ``ALERT_DELIVERY_RETRIES`` more times, with a growing pause,
then given up: counted, logged, and marked failed on the alert's history row. A full queue
drops the alert's delivery (counted, marked "dropped"); the alert stays in the history.
After a fork the child starts with an empty queue and a thread of its own.
"""

import atexit
import logging
import os
import queue
import threading
import time

from django.db import connection

from flowscope import diagnostics
from flowscope.alerts import history
from flowscope.conf import flowscope_settings
from flowscope.diagnostics import Counters
from flowscope.models import AlertEvent

logger = logging.getLogger("flowscope.alerts")
RETRY_PAUSE_SECONDS = 0.5  # doubled at each retry
Delivery = AlertEvent.Delivery


def pending_deliveries(found):
    """The history row's delivery entries for ``found``, before anything is sent."""
    return [
        {"destination": d.name, "target": d.target, "status": Delivery.PENDING, "attempts": 0}
        for d in found
    ]


class Courier:
    def __init__(self):
        self.counts = Counters("queued", "sent", "failed", "retries", "dropped")
        self._lock = threading.Lock()
        self._pid = None

    def snapshot(self):
        """Counters for the health endpoint: alerts queued for sending, deliveries sent,
        failed after their retries, retried, and alerts dropped by a full queue."""
        return {**self.counts.snapshot(), "waiting": self.waiting()}

    def waiting(self):
        """Alerts of this process queued or being sent."""
        return self._queue.unfinished_tasks if self._pid == os.getpid() else 0

    def send(self, event, found):
        """Queue ``event`` for the destinations ``found`` (those its deliveries list, in
        order); never blocks."""
        if not found:
            return
        try:
            self._running_queue().put_nowait((event, found))
        except queue.Full:
            self.counts.add(dropped=1)
            logger.warning("flowscope dropped an alert (ALERT_QUEUE_SIZE full): %s", event.message)
            for entry in event.deliveries:
                entry["status"] = Delivery.DROPPED
            history.save_deliveries(event)
            return
        self.counts.add(queued=1)

    def flush(self, timeout):
        """Wait until every queued alert is delivered or given up; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.waiting():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def _running_queue(self):
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child
                self._pid = os.getpid()
                self._queue = queue.Queue(maxsize=flowscope_settings.ALERT_QUEUE_SIZE)
                thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="flowscope-alerts", daemon=True
                )
                thread.start()
            return self._queue

    def _run(self, waiting):
        while True:
            event, found = waiting.get()
            try:
                self._deliver(event, found)
            except Exception:
                logger.exception("flowscope could not deliver an alert")
            finally:
                connection.close()  # this thread's own; never held between alerts
                waiting.task_done()

    def _deliver(self, event, found):
        for destination, entry in zip(found, event.deliveries, strict=True):
            self._try(destination, event, entry)
        history.save_deliveries(event)

    def _try(self, destination, event, entry):
        retries = flowscope_settings.ALERT_DELIVERY_RETRIES
        for attempt in range(retries + 1):
            entry["attempts"] = attempt + 1
            try:
                destination.send(event)
            except Exception as exc:
                entry["error"] = repr(exc)[:500]
                if attempt < retries:
                    self.counts.add(retries=1)
                    time.sleep(RETRY_PAUSE_SECONDS * 2**attempt)
                continue
            entry.pop("error", None)
            entry["status"] = Delivery.SENT
            self.counts.add(sent=1)
            return
        entry["status"] = Delivery.FAILED
        self.counts.add(failed=1)
        logger.error(
            "flowscope could not send an alert by %s to %s after %d attempts: %s",
            destination.name,
            destination.target,
            retries + 1,
            entry["error"],
        )


courier = Courier()
diagnostics.register("alerts", courier.snapshot)


@atexit.register
def _deliver_before_exit():
    waiting = courier.waiting()
    if waiting and not courier.flush(flowscope_settings.ALERT_WEBHOOK_TIMEOUT):
        logger.warning("flowscope exits with %d alerts not sent", waiting)
