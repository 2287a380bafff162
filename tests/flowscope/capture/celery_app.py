"""A Celery app and its tasks for the tests of Celery capture. A real worker runs them
(``celery -A tests.flowscope.capture.celery_app worker``, see ``test_celery_worker``) on the
broker of ``broker_url()``; the tests send them there."""

import logging
import os
from urllib.parse import urlsplit, urlunsplit

from celery import Celery
from django.contrib.auth import get_user_model
from django.core.cache import cache

import flowscope


def broker_url():
    """``CELERY_BROKER_URL``, else the Redis database after ``REDIS_URL``'s: the suite
    empties the cache's database between tests (``FLUSHDB``), which would take the broker's
    queues with it."""
    if given := os.environ.get("CELERY_BROKER_URL"):
        return given
    if not (redis_url := os.environ.get("REDIS_URL")):
        return "memory://"
    parts = urlsplit(redis_url)
    index = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(index + 1) % 16}"))


BROKER_URL = broker_url()

app = Celery("flowscope-tests", set_as_current=False)
app.conf.update(
    broker_url=BROKER_URL,
    result_backend=None if BROKER_URL == "memory://" else BROKER_URL,
    broker_connection_retry_on_startup=True,
    result_expires=600,
    task_always_eager=False,
)
logger = logging.getLogger("tests.tasks")


@app.task
def look_up(username):
    """Two queries and two cache calls: the steps a worker's run is expected to show."""
    users = get_user_model().objects
    found = users.filter(username=username).count()
    users.filter(username=f"{username}-2").exists()
    cache.get(f"task-{username}")
    cache.set(f"task-{username}", found)
    return found


@app.task
def fail(order):
    with flowscope.step("email.render"):
        get_user_model().objects.filter(username="nobody").exists()
        raise RuntimeError(f"confirmation for order {order} could not be rendered")


@app.task(throws=(LookupError,))
def expected_miss():
    raise LookupError("no such order")


@app.task
def warn(order):
    logger.warning("order %s confirmation delayed", order)
    return order


@app.task
def send_look_up(username, queue):
    """A task that sends a task: the second is in the same workflow, under the first."""
    look_up.apply_async((username,), queue=queue)
