"""Views for capture tests: sync and async, touching the database, the cache and logging."""

import asyncio
import json
import logging

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.urls import path, re_path
from django.views.decorators.debug import sensitive_variables
from rest_framework.authtoken.models import Token

import flowscope

logger = logging.getLogger("tests.app")


def sync_view(request, tag, **route_kwargs):
    get_user_model().objects.filter(username=f"user-{tag}").exists()
    cache.get(f"key-{tag}")
    cache.set(f"key-{tag}", tag)
    return JsonResponse({"tag": tag})


async def async_view(request, tag):
    await get_user_model().objects.filter(username=f"user-{tag}").aexists()
    await asyncio.sleep(0.01)  # let other requests interleave
    await cache.aget(f"key-{tag}")
    return JsonResponse({"tag": tag})


def echo_view(request):
    """Reads the whole body and answers it back, byte for byte."""
    return HttpResponse(request.body, content_type=request.content_type or "text/plain")


def crash_view(request):
    with flowscope.step("inventory.reserve"):
        raise RuntimeError(f"inventory service exploded for order {request.GET.get('o', '7')}")


def annotated_view(request):
    flowscope.annotate(outside="no step is open: dropped")
    with flowscope.step("order.place"):
        flowscope.annotate(order_total="46.75", password="hunter2")
    return JsonResponse({"ok": True})


def warn_view(request):
    logger.warning("stock low for product %s", 42)
    return JsonResponse({"ok": True})


def server_error_view(request):
    return JsonResponse({"detail": "upstream failed"}, status=503)


def many_queries_view(request):
    users = get_user_model().objects
    for index in range(6):
        users.filter(pk=index).exists()
    return JsonResponse({"ok": True})


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr today")


def _charge(amount, card):
    return json.loads(f"{{amount {amount}")  # fails inside the standard library


def token_crash_view(request):
    """Fails with a model instance whose ``str`` is a secret (DRF's token) in its locals."""
    issued = Token.objects.select_related("user").get(user__username=request.GET["user"])
    owner = issued.user
    return _charge(owner.pk, issued)


@sensitive_variables("combination")
def _unlock(combination, door):
    return json.loads(f"{{door {door}")


def credentials_crash_view(request):
    """Fails with credentials in shapes no secret-looking name gives away."""
    auth = ("alice", "hunter-auth-1")
    headers = [(b"authorization", b"Bearer sekrit-header-2")]
    raw = {b"password": b"hunter-bytes-3"}
    note = "retry with Bearer sekrit-bearer-4 later"
    database = "postgres://admin:hunter-url-5@db/prod"
    signed = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
    return _unlock(
        "hunter-pin-6", len(auth) + len(headers) + len(raw) + len(note + database + signed)
    )


def card_crash_view(request):
    """Fails with a card number, a password, a huge value and a broken ``repr`` in its
    locals (and in its source)."""
    card = "4111 1111 1111 1111"
    password = "hunter2-in-a-local"
    order = {"id": 7, "card_number": "4242424242424242", "total": 12.5}
    huge = "x" * 100_000
    broken = Unprintable()
    if not request.GET.get("log"):
        return _charge(order["total"], card) or broken
    try:
        _charge(order["total"], card)
    except ValueError:
        logger.exception("charge failed for order %s", order["id"])
    return JsonResponse({"logged": True, "sizes": [len(huge), len(password)]})


async def async_crash_view(request):
    basket = ["lamp", "tent"]
    await asyncio.sleep(0)
    raise LookupError(f"no price for {len(basket)} items")


urlpatterns = [
    path("sync/<str:tag>/", sync_view),
    path("async/<str:tag>/", async_view),
    path("echo/", echo_view),
    path("crash/", crash_view),
    path("card-crash/", card_crash_view),
    path("token-crash/", token_crash_view),
    path("credentials-crash/", credentials_crash_view),
    path("async-crash/", async_crash_view),
    path("annotated/", annotated_view),
    path("warn/", warn_view),
    path("unavailable/", server_error_view),
    path("n-plus-one/", many_queries_view),
    re_path(r"^legacy/(?P<year>[0-9]{4})/$", sync_view, kwargs={"tag": "legacy"}),
    path("static/thing/", sync_view, kwargs={"tag": "static"}),
]
