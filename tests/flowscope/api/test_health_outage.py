"""The health endpoint while the store cannot be reached (PostgreSQL: a closed port;
SQLite: a file that cannot be opened), asked over HTTP: it answers JSON in every case, and
a health key reads the counters, which live in memory."""

import json
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.servers import free_port

HEALTH = "/api/v1/debugging/health/"
KEY = "monitor-key-for-tests"


@pytest.fixture
def staff_credentials(transactional_db, settings):
    staff = get_user_model().objects.create_user("ops-health", password="x", is_staff=True)
    browser = Client()
    browser.force_login(staff)
    name = settings.SESSION_COOKIE_NAME
    return {
        "token": Token.objects.create(user=staff).key,
        "cookie": f"{name}={browser.cookies[name].value}",
    }


@pytest.fixture
def store_down(transactional_db, tmp_path):
    """New connections to the store fail until the test ends (the server's thread opens a
    connection for each request)."""
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "store.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))  # nothing listens
    connection.close()
    yield
    settings_dict.clear()
    settings_dict.update(saved)
    connection.close()


@pytest.fixture
def health_keys(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "HEALTH_KEYS": [KEY]}


def health(base, **headers):
    request = urllib.request.Request(base + HEALTH, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, content_type, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, content_type, body = error.code, error.headers, error.read()
    assert content_type["Content-Type"] == "application/json", body[:200]
    return status, json.loads(body)


def test_with_the_store_down_health_answers_json_to_everyone(
    live_server, staff_credentials, health_keys, store_down
):
    base = live_server.url
    for headers in [
        {},
        {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        {"Authorization": f"Token {staff_credentials['token']}"},
        {"Cookie": staff_credentials["cookie"]},
    ]:
        status, body = health(base, **headers)
        assert status == 503, headers
        assert body["status"] == "down"
        assert "components" not in body  # nobody could be checked
        if headers.get("Authorization") or headers.get("Cookie"):
            assert "HEALTH_KEYS" in body["detail"]


def test_a_health_key_reads_the_counters_while_the_store_is_down(
    live_server, real_recorder, health_keys, store_down
):
    status, body = health(live_server.url, **{"X-Flowscope-Health-Key": KEY})
    assert status == 503
    assert body["down"] == ["database"]
    components = body["components"]
    assert components["database"]["status"] == "down"
    assert "queue_full" in components["recorder"]["dropped_by_reason"]
    assert "failed" in components["channel_layer"]["live_events"]


def test_a_wrong_health_key_sees_no_details(live_server, health_keys, transactional_db):
    status, body = health(live_server.url, **{"X-Flowscope-Health-Key": "guess"})
    assert (status, body) == (200, {"status": "ok"})


def test_with_the_store_up_a_health_key_and_staff_see_the_details(
    live_server, staff_credentials, health_keys
):
    for headers in [
        {"X-Flowscope-Health-Key": KEY},
        {"Authorization": f"Token {staff_credentials['token']}"},
    ]:
        status, body = health(live_server.url, **headers)
        assert status == 200
        assert body["down"] == []
