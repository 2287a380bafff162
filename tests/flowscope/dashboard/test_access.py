"""Only staff (``FLOWSCOPE["PERMISSION_CLASSES"]``) get the dashboard page."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from flowscope.testing import capture_traces


@pytest.fixture
def client_as(db):
    def make(**flags):
        client = Client()
        if flags:
            user = get_user_model().objects.create_user("someone", password="x", **flags)
            client.force_login(user)
        return client

    return make


def test_anonymous_visitors_are_sent_to_the_login_page(client_as):
    response = client_as().get("/debugging/")
    assert response.status_code == 302
    assert response["Location"] == "/debugging/login/?next=/debugging/"


def test_signed_in_users_who_are_not_staff_are_sent_to_the_login_page(client_as):
    response = client_as(is_staff=False).get("/debugging/", follow=True)
    assert response.redirect_chain == [("/debugging/login/?next=/debugging/", 302)]
    assert "signed in as someone, which is not a staff account" in response.content.decode()


def test_staff_get_the_page_with_the_csrf_token_and_the_api_root(client_as):
    response = client_as(is_staff=True).get("/debugging/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert 'data-api-root="/debugging/"' in html
    assert 'name="csrf-token" content="' in html
    assert "flowscope/dashboard/app.js" in html
    assert 'class="skip-link"' in html


def test_the_permission_classes_decide(client_as, settings):
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    assert client_as(is_staff=False).get("/debugging/").status_code == 200


def test_the_page_is_not_traced(client_as):
    client = client_as(is_staff=True)
    with capture_traces() as traces:
        assert client.get("/debugging/").status_code == 200
        client.get("/api/v1/products/")  # while a shop page is
    assert [trace.root.name for trace in traces] == ["GET /api/v1/products/"]


def policy_of(response):
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";")]
    return {name: values for name, *values in directives}


def test_the_page_allows_no_inline_code_and_no_framing(client_as):
    policy = policy_of(client_as(is_staff=True).get("/debugging/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]


def test_static_files_served_from_elsewhere_are_allowed(client_as, settings):
    settings.STATIC_URL = "https://static.example.com/assets/"
    policy = policy_of(client_as(is_staff=True).get("/debugging/"))
    assert policy["script-src"] == ["'self'", "https://static.example.com"]
    assert policy["style-src"] == ["'self'", "https://static.example.com"]
