"""One include mounts the page, the API, ingest and OTLP; flowscope finds where, so that it
never traces itself and its page reads its API there; the earlier addresses keep working."""

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from flowscope import mount
from flowscope.testing import capture_traces

ELSEWHERE = pytest.mark.urls("tests.flowscope.mounted_elsewhere")
AS_BEFORE = pytest.mark.urls("tests.flowscope.mounted_as_before")


@pytest.fixture
def staff_browser(staff):
    client = Client()
    client.force_login(staff)
    return client


def roots_of(html):
    """The page's API root, sockets and live mode, from its data attributes."""
    names = ("data-api-root", "data-ws-dashboard", "data-ws-workflow", "data-live")
    return {name: html.split(f'{name}="', 1)[1].split('"', 1)[0] for name in names}


def test_one_include_serves_the_page_the_api_ingest_and_otlp(staff_browser):
    page = staff_browser.get("/debugging/")
    assert page.status_code == 200
    assert roots_of(page.content.decode())["data-api-root"] == "/debugging/"
    assert staff_browser.get("/debugging/health/").json()["status"] in {"ok", "degraded"}
    assert staff_browser.get("/debugging/workflows/").status_code == 200
    ingest = staff_browser.post("/debugging/ingest/", {}, content_type="application/json")
    otlp = staff_browser.post("/debugging/otlp/v1/traces", {}, content_type="application/json")
    # Without a key both refuse in their own JSON, which only they answer.
    assert (ingest.status_code, ingest["Content-Type"]) == (401, "application/json")
    assert otlp.status_code == 401 and otlp["Content-Type"].startswith("application/json")


def test_the_seed_addresses_still_answer(staff_browser):
    assert staff_browser.get("/api/v1/debugging/health/").status_code == 200
    assert staff_browser.get("/api/v1/debugging/workflows/").status_code == 200
    refused = staff_browser.post("/api/v1/debugging/ingest/", {}, content_type="application/json")
    assert refused.status_code == 401


@pytest.mark.parametrize(
    "method, path, detail",
    [
        ("get", "/debugging/no-such-endpoint/", "No flowscope API endpoint"),
        ("get", "/debugging/no-such-endpoint", "No flowscope API endpoint"),
        ("get", "/debugging/ws/dashboard/", "No flowscope API endpoint"),
        ("post", "/debugging/errors", "Did you mean /debugging/errors/?"),
        ("delete", "/debugging/otlp/v1/traces/extra", "No flowscope API endpoint"),
    ],
)
def test_any_other_path_under_the_mount_is_a_json_404(staff_browser, method, path, detail):
    response = getattr(staff_browser, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert detail in response.json()["detail"]


def test_without_common_middleware_an_unknown_path_is_still_flowscopes_404(staff_browser, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "django.middleware.common.CommonMiddleware"
    ]
    response = staff_browser.get("/debugging/nope")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_get_without_the_slash_is_redirected_to_the_endpoint(staff_browser):
    response = staff_browser.get("/debugging/errors?status=open")
    assert (response.status_code, response["Location"]) == (301, "/debugging/errors/?status=open")


def test_neither_mount_is_traced_and_the_host_is(staff_browser):
    with capture_traces() as traces:
        staff_browser.get("/debugging/")
        staff_browser.get("/debugging/health/")
        staff_browser.get("/debugging/nope/")
        staff_browser.get("/api/v1/debugging/health/")
        staff_browser.get("/api/v1/products/")
    assert [trace.root.name for trace in traces] == ["GET /api/v1/products/"]


@ELSEWHERE
def test_the_paths_never_traced_follow_the_mount(staff_browser):
    """No setting names ``ops/flowscope/``; and ``debugging/``, flowscope's address in
    earlier releases, is the project's own here and traced."""
    assert mount.internal_prefixes()[:2] == ("/ops/flowscope/", "/ops/flowscope/ws/")
    with capture_traces() as traces:
        assert staff_browser.get("/ops/flowscope/").status_code == 200
        assert staff_browser.get("/ops/flowscope/health/").status_code == 200
        assert staff_browser.get("/debugging/mine/").status_code == 200
    assert [trace.root.name for trace in traces] == ["GET /debugging/<str:tag>/"]


@ELSEWHERE
def test_the_page_finds_its_api_and_sockets_where_it_is_mounted(staff_browser, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WEBSOCKETS": True}
    roots = roots_of(staff_browser.get("/ops/flowscope/").content.decode())
    assert roots == {
        "data-api-root": "/ops/flowscope/",
        "data-ws-dashboard": "/ops/flowscope/ws/dashboard/",
        "data-ws-workflow": "/ops/flowscope/ws/workflow/",
        "data-live": "websocket",
    }


@ELSEWHERE
def test_internal_paths_set_by_hand_still_count(staff_browser, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INTERNAL_PATHS": ["/sync/private"]}
    with capture_traces() as traces:
        staff_browser.get("/sync/private-thing/")
        staff_browser.get("/sync/public/")
    assert [trace.root.name for trace in traces] == ["GET /sync/<str:tag>/"]


@AS_BEFORE
def test_a_project_set_up_as_before_keeps_its_page_api_and_sockets(staff_browser, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WEBSOCKETS": True}
    roots = roots_of(staff_browser.get("/debugging/").content.decode())
    assert roots == {
        "data-api-root": "/api/v1/debugging/",
        "data-ws-dashboard": "/ws/debugging/dashboard/",
        "data-ws-workflow": "/ws/debugging/workflow/",
        "data-live": "websocket",
    }
    with capture_traces() as traces:
        staff_browser.get("/debugging/")
        staff_browser.get("/api/v1/debugging/health/")
        staff_browser.get("/sync/x/")
    assert [trace.root.name for trace in traces] == ["GET /sync/<str:tag>/"]


def test_served_over_wsgi_the_page_polls_unless_told_otherwise(staff_browser, settings):
    assert roots_of(staff_browser.get("/debugging/").content.decode())["data-live"] == "poll"
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WEBSOCKETS": True}
    assert roots_of(staff_browser.get("/debugging/").content.decode())["data-live"] == "websocket"


def test_served_over_asgi_the_page_opens_sockets_unless_told_otherwise(staff, settings):
    client = AsyncClient()
    client.force_login(staff)
    page = async_to_sync(client.get)("/debugging/")
    assert roots_of(page.content.decode())["data-live"] == "websocket"
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WEBSOCKETS": False}
    page = async_to_sync(client.get)("/debugging/")
    assert roots_of(page.content.decode())["data-live"] == "poll"
