"""Flowscope's own login page, under the mount: staff sign in and go back where they were
going; anyone else gets the answer a wrong password gets and stays signed out."""

import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.cache import cache
from django.test import Client

from flowscope.testing import capture_traces

LOGIN = "/debugging/login/"


@pytest.fixture
def users(db):
    make = get_user_model().objects.create_user
    return make("ops", password="ops-pass", is_staff=True), make("shopper", password="shop-pass")


def login_error(response):
    return re.search(r'data-testid="login-error">(.*?)</p>', response.content.decode())[1]


def log_in(client, username, password, next_url="/debugging/", at=LOGIN, **headers):
    form = {"username": username, "password": password, "next": next_url}
    return client.post(at, form, **headers)


def test_the_page_is_flowscopes_own_with_no_inline_code(client):
    response = client.get(f"{LOGIN}?next=/debugging/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Log in to the debugging dashboard" in html
    assert 'name="next" value="/debugging/"' in html
    assert "flowscope/dashboard/login.js" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_staff_sign_in_and_go_where_they_were_going(users):
    client = Client()
    response = log_in(client, "ops", "ops-pass", "/debugging/?x=1")
    assert response.status_code == 302
    assert response["Location"] == "/debugging/?x=1"
    assert client.get("/debugging/").status_code == 200


def test_without_next_or_with_another_sites_next_staff_land_on_the_dashboard(users):
    assert log_in(Client(), "ops", "ops-pass", "")["Location"] == "/debugging/"
    assert log_in(Client(), "ops", "ops-pass", "https://evil.example/")["Location"] == (
        "/debugging/"
    )


def test_an_account_that_is_not_staff_is_refused_as_a_wrong_password_is(users):
    client = Client()
    response = log_in(client, "shopper", "shop-pass")
    assert response.status_code == 200
    refused = login_error(response)
    assert refused == login_error(log_in(Client(), "shopper", "wrong-pass"))
    assert "password of a staff account" in refused
    assert SESSION_KEY not in client.session


def test_wrong_credentials_are_refused_as_the_admin_refuses_them(users):
    response = log_in(Client(), "ops", "wrong")
    assert response.status_code == 200
    assert "correct username and password of a staff account" in login_error(response)


def test_staff_already_signed_in_go_straight_on(users, client):
    client.force_login(users[0])
    response = client.get(f"{LOGIN}?next=/debugging/%23/errors")
    assert response.status_code == 302
    assert response["Location"] == "/debugging/#/errors"


def test_signing_in_is_never_traced(users):
    client = Client()
    with capture_traces() as traces:
        client.get(LOGIN)
        log_in(client, "ops", "ops-pass")
        log_in(client, "shopper", "shop-pass")
        client.get("/api/v1/products/")
    assert [trace.root.name for trace in traces] == ["GET /api/v1/products/"]


def test_a_login_url_of_the_hosts_own_is_used_when_named(users, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOGIN_URL": "/sso/start/"}
    response = Client().get("/debugging/")
    assert response["Location"] == "/sso/start/?next=/debugging/"
    # Signed in but not staff: a 403, since that login could send them straight back.
    client = Client()
    client.force_login(users[1])
    assert client.get("/debugging/").status_code == 403


def test_the_page_tells_its_scripts_where_to_log_in_again(users, client):
    client.force_login(users[0])
    assert f'data-login-url="{LOGIN}"' in client.get("/debugging/").content.decode()


@pytest.mark.urls("tests.flowscope.mounted_elsewhere")
def test_the_login_page_follows_the_mount_and_is_never_traced_there(users):
    client = Client()
    assert client.get("/ops/flowscope/")["Location"] == (
        "/ops/flowscope/login/?next=/ops/flowscope/"
    )
    with capture_traces() as traces:
        response = log_in(client, "ops", "ops-pass", "", at="/ops/flowscope/login/")
        client.get("/debugging/own-page/")
    assert response["Location"] == "/ops/flowscope/"
    assert [trace.root.name for trace in traces] == ["GET /debugging/<str:tag>/"]


@pytest.mark.urls("tests.flowscope.mounted_as_before")
def test_the_pages_own_include_of_earlier_releases_has_its_login_beside_it(users):
    assert Client().get("/debugging/")["Location"] == "/debugging/login/?next=/debugging/"


@pytest.fixture
def three_failures_an_hour(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOGIN_FAILURE_RATE": "3/hour"}
    cache.clear()
    yield
    cache.clear()


def test_an_address_that_failed_too_often_is_refused_even_the_right_password(
    users, three_failures_an_hour
):
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    # A new X-Forwarded-For each time changes nothing: no proxy is said to set it.
    answers = [
        log_in(guesser, "ops", f"guess{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(3)
    ]
    assert answers == [200] * 3
    refused = log_in(guesser, "ops", "ops-pass")
    assert refused.status_code == 429
    assert "Too many failed sign-ins from here: try again in" in refused.content.decode()
    assert SESSION_KEY not in guesser.session
    # Another address is not held back by it.
    assert log_in(Client(REMOTE_ADDR="198.51.100.4"), "ops", "ops-pass").status_code == 302
