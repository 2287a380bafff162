"""Everything of the dashboard API is for staff only, by default."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_trace

BASE = "/api/v1/debugging/"
ENDPOINTS = [
    "dashboard-data/",
    "dashboard-data/realtime_updates/?since=2026-01-01T00:00:00Z",
    "workflows/",
    "workflows/wf-1/",
    "workflows/wf-1/compare/?with=last_success",
    "errors/",
    "errors/1/",
    "alerts/",
    "performance/",
    "dashboard-config/",
    "schema/",
    "schema/docs/",
]


@pytest.fixture
def data(db):
    writer.write([make_trace("wf-1", errors=[make_error()])])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_callers_are_refused(anonymous_client, data, endpoint):
    response = anonymous_client.get(BASE + endpoint)
    assert response.status_code in (401, 403)
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["code"] in ("not_authenticated", "authentication_failed")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_non_staff_users_are_refused(customer_client, data, endpoint):
    response = customer_client.get(BASE + endpoint)
    assert response.status_code == 403
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["code"] == "permission_denied"


def test_the_permission_is_a_setting(customer_client, data, settings):
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    assert customer_client.get(BASE + "workflows/").status_code == 200


def test_resolving_is_refused_to_non_staff(customer_client, data):
    assert customer_client.post(BASE + "errors/1/resolve/").status_code == 403


def test_the_authentication_classes_are_a_setting(db, settings):
    user = get_user_model().objects.create_user("ops", password="x", is_staff=True)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert client.get(BASE + "workflows/").status_code == 200
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    }
    assert client.get(BASE + "workflows/").status_code == 403
