"""Both sockets through the example project's real ASGI stack (origin check, session and
token auth), with Channels' WebsocketCommunicator."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import HASH_SESSION_KEY, get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ecommerce_project.asgi import application
from flowscope.analysis import snapshot
from flowscope.conf import flowscope_settings
from flowscope.realtime import watching
from flowscope.realtime.groups import workflow_group
from flowscope.realtime.publisher import publisher
from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_trace

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.flowscope.capture.views"),
]
ORIGIN = (b"origin", b"http://127.0.0.1")
DASHBOARD = "/ws/debugging/dashboard/"


def run(coroutine_function):
    """Run an async test body on its own loop (consumers and the publisher share it)."""
    return async_to_sync(coroutine_function)()


def token_for(username, is_staff=True):
    user = get_user_model().objects.create_user(username, password="pw", is_staff=is_staff)
    return Token.objects.create(user=user).key


def socket(path, token=None, origin=ORIGIN, cookie=None):
    headers = [origin] if origin else []
    if token:
        headers.append((b"authorization", f"Token {token}".encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive(communicator, seconds=5):
    return json.loads(await communicator.receive_from(seconds))


async def until(communicator, message_type, seconds=10):
    while True:
        message = await receive(communicator, seconds)
        if message["type"] == message_type:
            return message


async def closed_with(communicator):
    connected, _ = await communicator.connect()
    assert connected
    output = await communicator.receive_output(5)
    assert output["type"] == "websocket.close"
    return output.get("code")


def test_anonymous_is_closed_with_4401():
    async def body():
        return await closed_with(socket(DASHBOARD))

    assert run(body) == 4401


def test_non_staff_is_closed_with_4403():
    token = token_for("customer", is_staff=False)

    async def body():
        return await closed_with(socket(DASHBOARD, token))

    assert run(body) == 4403


@pytest.mark.parametrize("path", [DASHBOARD, "/ws/debugging/workflow/abc123/"])
def test_without_a_channel_layer_a_socket_closes_saying_live_updates_are_off(settings, path):
    settings.CHANNEL_LAYERS = {}
    token = token_for("ops")

    async def body():
        communicator = socket(path, token)
        connected, _ = await communicator.connect()
        assert connected
        return await communicator.receive_output(5)

    closed = run(body)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4503)
    assert closed["reason"] == "no channel layer"


def test_a_foreign_origin_is_refused():
    token = token_for("ops")

    async def body():
        communicator = socket(DASHBOARD, token, origin=(b"origin", b"https://evil.example"))
        connected, _ = await communicator.connect()
        assert not connected

    run(body)


def test_staff_get_the_greeting_and_a_snapshot_then_ping_and_topics():
    token = token_for("ops")

    async def body():
        communicator = socket(DASHBOARD, token)
        assert (await communicator.connect())[0]
        hello = await receive(communicator)
        assert hello["type"] == "connection_established"
        assert hello["subscriptions"] == ["workflows", "errors", "performance", "system_health"]
        snapshot = await receive(communicator)
        assert snapshot["type"] == "dashboard_snapshot"
        assert set(snapshot["data"]) >= {
            "system_health",
            "active_workflows",
            "recent_errors",
            "performance_metrics",
            "optimization_recommendations",
        }
        await communicator.send_json_to({"type": "ping", "timestamp": 42})
        pong = await receive(communicator)
        assert (pong["type"], pong["timestamp"]) == ("pong", 42)
        await communicator.send_json_to({"type": "unsubscribe", "topics": ["errors"]})
        assert await receive(communicator) == {"type": "unsubscribed", "topics": ["errors"]}
        await communicator.send_json_to({"type": "subscribe", "topics": ["errors"]})
        assert await receive(communicator) == {"type": "subscribed", "topics": ["errors"]}
        await communicator.disconnect()

    run(body)


@pytest.mark.parametrize(
    "text, error",
    [
        ("{nope", "Not JSON."),
        ('["a"]', "A message is a JSON object with a type."),
        ('{"type": "dance"}', "Unknown message type 'dance'."),
        ('{"type": "subscribe", "topics": ["gossip"]}', "Unknown topic(s) gossip"),
        ('{"type": "subscribe", "topics": "errors"}', '"topics" must be a list'),
        ('{"type": "ping", "pad": "' + "x" * 5000 + '"}', "Message over 4096 bytes."),
    ],
)
def test_bad_messages_get_an_error_and_the_socket_stays_open(text, error):
    token = token_for("ops")

    async def body():
        communicator = socket(DASHBOARD, token)
        await communicator.connect()
        await until(communicator, "dashboard_snapshot")
        await communicator.send_to(text_data=text)
        answer = await receive(communicator)
        assert answer["type"] == "error"
        assert answer["error"].startswith(error)
        await communicator.send_json_to({"type": "ping", "timestamp": 1})
        assert (await receive(communicator))["type"] == "pong"
        await communicator.disconnect()

    run(body)


async def close_code(communicator, seconds=5):
    """The code the server closes with within ``seconds`` (pings still answered before)."""
    while True:
        output = await communicator.receive_output(seconds)
        if output["type"] == "websocket.close":
            return output["code"]


def test_logging_out_closes_the_session_socket_at_once():
    """At once: well inside the periodic check's default minute."""
    assert flowscope_settings.REALTIME_AUTH_RECHECK_SECONDS >= 60
    user = get_user_model().objects.create_user("sess-out", password="pw", is_staff=True)
    browser = Client()
    browser.force_login(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"

    async def body():
        communicator = socket(DASHBOARD, cookie=cookie)
        assert (await communicator.connect())[0]
        await until(communicator, "dashboard_snapshot")
        await sync_to_async(browser.logout)()
        return await close_code(communicator)

    assert run(body) == 4401


@pytest.mark.urls("ecommerce_project.urls")
def test_deleting_the_token_closes_its_sockets_at_once():
    token = token_for("token-out")
    shop = APIClient()
    shop.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    async def body():
        dashboard = socket(DASHBOARD, token)
        trace = socket("/ws/debugging/workflow/wf-revoked/", token)
        assert (await dashboard.connect())[0] and (await trace.connect())[0]
        await until(dashboard, "dashboard_snapshot")
        await until(trace, "workflow_trace")
        # The shop's logout deletes the caller's token.
        answer = await sync_to_async(shop.post)("/api/v1/auth/logout/")
        assert answer.status_code == 204
        return await close_code(dashboard), await close_code(trace)

    assert run(body) == (4401, 4401)


def test_another_sessions_logout_leaves_a_socket_open():
    user = get_user_model().objects.create_user("two-tabs", password="pw", is_staff=True)
    kept, other = Client(), Client()
    kept.force_login(user)
    other.force_login(user)
    cookie = f"sessionid={kept.cookies['sessionid'].value}"

    async def body():
        communicator = socket(DASHBOARD, cookie=cookie)
        assert (await communicator.connect())[0]
        await until(communicator, "dashboard_snapshot")
        await sync_to_async(other.logout)()
        await communicator.send_json_to({"type": "ping", "timestamp": 7})
        pong = await until(communicator, "pong")
        await communicator.disconnect()
        return pong["timestamp"]

    assert run(body) == 7


def test_a_password_change_closes_the_other_sessions_sockets_at_once():
    """As Django ends the user's other sessions; the one that changed it stays (it called
    ``update_session_auth_hash``), and so does a socket opened with a token."""
    user = get_user_model().objects.create_user("new-pass", password="pw", is_staff=True)
    changer, other = Client(), Client()
    changer.force_login(user)
    other.force_login(user)
    token = Token.objects.create(user=user).key

    def change_password():
        user.set_password("a new password")
        user.save()
        session = changer.session  # as update_session_auth_hash does for the changer
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()

    async def body():
        kept = socket(DASHBOARD, cookie=f"sessionid={changer.cookies['sessionid'].value}")
        ended = socket(DASHBOARD, cookie=f"sessionid={other.cookies['sessionid'].value}")
        by_token = socket(DASHBOARD, token)
        for communicator in (kept, ended, by_token):
            assert (await communicator.connect())[0]
            await until(communicator, "dashboard_snapshot")
        await sync_to_async(change_password)()
        code = await close_code(ended)
        for communicator in (kept, by_token):
            await communicator.send_json_to({"type": "ping", "timestamp": 7})
            assert (await until(communicator, "pong"))["timestamp"] == 7
            await communicator.disconnect()
        return code

    assert run(body) == 4401


def test_losing_staff_status_closes_the_socket(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REALTIME_AUTH_RECHECK_SECONDS": 0.2}
    token = token_for("demoted")

    async def body():
        communicator = socket(DASHBOARD, token)
        await communicator.connect()
        await until(communicator, "dashboard_snapshot")
        await sync_to_async(get_user_model().objects.filter(username="demoted").update)(
            is_staff=False
        )
        while True:
            output = await communicator.receive_output(5)
            if output["type"] == "websocket.close":
                return output["code"]

    assert run(body) == 4403


def test_an_invalid_correlation_id_is_closed_with_4400():
    token = token_for("ops")

    async def body():
        return await closed_with(socket("/ws/debugging/workflow/bad%20id/", token))

    assert run(body) == 4400


def test_a_request_reaches_both_sockets_live(real_recorder):
    token = token_for("ops")

    async def body():
        dashboard = socket(DASHBOARD, token)
        trace = socket("/ws/debugging/workflow/wf-live/", token)
        await dashboard.connect()
        await until(dashboard, "dashboard_snapshot")
        await trace.connect()
        pending = await receive(trace)
        assert (pending["type"], pending["data"]["status"]) == ("workflow_trace", "pending")
        await sync_to_async(Client(raise_request_exception=False).get)(
            "/crash/", HTTP_X_CORRELATION_ID="wf-live"
        )
        seen = {}
        while len(seen) < 2:  # the two arrive in either order
            message = await receive(dashboard)
            if message["type"] in ("workflow_update", "error_notification"):
                seen[message["type"]] = message
        update = seen["workflow_update"]
        assert (update["change"], update["workflow"]["correlation_id"]) == ("created", "wf-live")
        assert update["workflow"]["status"] == "failed"
        assert seen["error_notification"]["error"]["correlation_id"] == "wf-live"
        step_names = set()
        while True:
            message = await receive(trace)
            if message["type"] == "trace_step":
                step_names.add(message["step"]["name"])
            if message["type"] == "workflow_completed":
                break
        assert step_names == {"GET /crash/", "inventory.reserve"}
        assert message["status"] == "failed"
        await dashboard.disconnect()
        await trace.disconnect()

    run(body)
    assert publisher.snapshot()["failed"] == 0


def test_an_existing_workflow_is_sent_whole_on_connect(real_recorder):
    token = token_for("ops")
    Client().get("/sync/one/", HTTP_X_CORRELATION_ID="wf-done")
    assert real_recorder.flush(10)

    async def body():
        trace = socket("/ws/debugging/workflow/wf-done/", token)
        await trace.connect()
        first = await receive(trace)
        assert first["data"]["status"] == "in_progress"
        assert [s["layer"] for s in first["data"]["steps"]] == ["api", "database", "cache", "cache"]
        await trace.disconnect()

    run(body)


def test_a_layer_failing_as_a_socket_leaves_is_counted_not_raised(monkeypatch):
    token = token_for("ops")
    before = publisher.snapshot()["group_errors"]

    async def body():
        dashboard = socket(DASHBOARD, token)
        await dashboard.connect()
        await until(dashboard, "dashboard_snapshot")

        async def refuse(group, channel):
            raise ConnectionError("Too many connections")

        monkeypatch.setattr(get_channel_layer(), "group_discard", refuse)
        await dashboard.disconnect()  # would raise the consumer's exception

    run(body)
    assert publisher.snapshot()["group_errors"] == before + 1


def test_the_permission_setting_opens_the_socket_as_it_opens_the_api(settings):
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    token = token_for("customer", is_staff=False)

    async def body():
        communicator = socket(DASHBOARD, token)
        assert (await communicator.connect())[0]
        snapshot = await until(communicator, "dashboard_snapshot")
        await communicator.disconnect()
        return snapshot

    assert run(body)["data"]["window"]["name"] == "1h"


@pytest.mark.urls("ecommerce_project.urls")
def test_a_dashboard_connecting_right_after_a_rest_read_gets_the_same_snapshot(monkeypatch):
    monkeypatch.setattr(snapshot, "SNAPSHOT_REUSE_SECONDS", 600)  # however slow the machine
    monkeypatch.setattr(snapshot, "_recent", {})
    now = timezone.now()
    writer.write(
        [make_trace("wf-running", at=now), make_trace("wf-bad", at=now, errors=[make_error()])]
    )
    token = token_for("ops")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    rest = client.get("/api/v1/debugging/dashboard-data/").json()

    async def body():
        communicator = socket(DASHBOARD, token)
        await communicator.connect()
        message = await until(communicator, "dashboard_snapshot")
        await communicator.disconnect()
        return message

    assert rest["recent_errors"] and rest["active_workflows"]
    assert run(body)["data"] == rest


def test_only_watched_workflows_get_their_own_events(monkeypatch):
    """A batch of many workflows sends each one's steps only if a socket watches it: one
    message per workflow per batch, almost all to nobody, was most of a writer's time."""
    sent = {}
    monkeypatch.setattr(publisher, "send", lambda group, events: sent.setdefault(group, events))
    async_to_sync(watching.watch)("wf-watched")
    batch = writer.write([make_trace("wf-watched"), make_trace("wf-alone")])
    publisher.publish_batch(batch)
    watched_group, alone_group = workflow_group("wf-watched"), workflow_group("wf-alone")
    assert [event["type"] for event in sent[watched_group]][:1] == ["trace_step"]
    assert alone_group not in sent
    updates = [e["workflow"]["correlation_id"] for e in sent["flowscope.workflows"]]
    assert sorted(updates) == ["wf-alone", "wf-watched"]  # the dashboard still sees both
