"""Signing in to the dashboard on flowscope's own login page, and a session that ends
while the page is open: the page stops saying "live", says the session has ended, and its
link logs back in to the same view."""

import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections

from tests.browser import browser_page

STAFF, STAFF_PASSWORD = "ops-lead", "ops-lead-pass"
SHOPPER, SHOPPER_PASSWORD = "shopper", "shopper-pass"


@pytest.fixture
def accounts(transactional_db):
    make = get_user_model().objects.create_user
    make(STAFF, password=STAFF_PASSWORD, is_staff=True)
    make(SHOPPER, password=SHOPPER_PASSWORD)


def log_in(page, username, password):
    form = page.get_by_test_id("login-form")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Log in").click()


@contextlib.contextmanager
def signed_in(playwright_api, base, view):
    """A page that opened ``view`` of the dashboard and logged in on the way; its
    connection state; what its console said."""
    with browser_page(playwright_api) as (page, problems):
        page.goto(f"{base}/debugging/{view}")
        log_in(page, STAFF, STAFF_PASSWORD)
        playwright_api.expect(page).to_have_url(f"{base}/debugging/{view}")
        yield page, page.get_by_test_id("connection-state"), problems


def in_another_thread(change):
    """The ORM refuses to run in the thread where Playwright's event loop is. The thread's
    connection is closed before it ends (the test database is dropped after the test)."""

    def run():
        try:
            change()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()


def delete_every_session():
    """As an expiry or a flush does."""
    in_another_thread(lambda: Session.objects.all().delete())


def no_longer_staff():
    def demote():
        user = get_user_model().objects.get(username=STAFF)
        user.is_staff = False
        user.save()

    in_another_thread(demote)


def test_log_in_and_back_in_after_a_logout_elsewhere(
    asgi_live_server, accounts, real_recorder, playwright_api
):
    expect = playwright_api.expect
    base = asgi_live_server
    with browser_page(playwright_api) as (page, problems):
        page.goto(f"{base}/debugging/#/errors")
        expect(page).to_have_title("Log in — Flowscope")
        log_in(page, SHOPPER, SHOPPER_PASSWORD)
        expect(page.get_by_test_id("login-error")).to_have_text(
            "Please enter the correct username and password of a staff account. "
            "Note that both fields may be case-sensitive."
        )
        log_in(page, STAFF, STAFF_PASSWORD)
        expect(page).to_have_url(f"{base}/debugging/#/errors")
        state = page.get_by_test_id("connection-state")
        expect(state).to_have_attribute("data-state", "live")
        expect(page.locator('[data-view="errors"]')).to_be_visible()

        # The same session logs out elsewhere (the admin's logout, in another context).
        elsewhere = page.context.browser.new_context()
        elsewhere.add_cookies(page.context.cookies())
        other = elsewhere.new_page()
        other.goto(f"{base}/admin/")
        other.get_by_role("button", name="Log out").click()
        expect(other.get_by_text("Logged out")).to_be_visible()
        elsewhere.close()

        ended = page.get_by_test_id("session-ended")
        expect(ended).to_have_text("Your session has ended — log in again", timeout=30_000)
        expect(state).to_have_attribute("data-state", "signed-out")
        expect(state).to_have_text("signed out")
        page.get_by_role("link", name="Performance").click()  # the link follows the view
        ended.get_by_role("link", name="log in again").click()
        expect(page).to_have_title("Log in — Flowscope")
        log_in(page, STAFF, STAFF_PASSWORD)
        expect(page).to_have_url(f"{base}/debugging/#/performance")
        expect(state).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("session-ended")).to_have_count(0)
    # What the view opened after the session ended asked of the API was refused: nothing else.
    assert [p for p in problems if "403 (Forbidden)" not in p] == []


def test_an_api_call_refused_for_a_session_gone_sends_back_to_the_login(
    live_server, accounts, playwright_api
):
    """Served over WSGI the page polls the API: the first poll after the session was
    deleted on the server is refused, and the page says the session has ended."""
    expect = playwright_api.expect
    base = live_server.url
    with signed_in(playwright_api, base, "#/workflows") as (page, state, problems):
        expect(state).to_have_attribute("data-state", "polling")
        delete_every_session()
        ended = page.get_by_test_id("session-ended")
        expect(ended).to_have_text("Your session has ended — log in again", timeout=20_000)
        expect(state).to_have_attribute("data-state", "signed-out")
        ended.get_by_role("link", name="log in again").click()
        log_in(page, STAFF, STAFF_PASSWORD)
        expect(page).to_have_url(f"{base}/debugging/#/workflows")
        expect(page.locator('[data-view="workflows"]')).to_be_visible()
        expect(state).to_have_attribute("data-state", "polling")
    refused = [p for p in problems if "403 (Forbidden)" in p]
    assert refused and len(refused) == len(problems)


def test_a_user_no_longer_staff_is_told_so_and_sent_to_the_login(
    asgi_live_server, accounts, real_recorder, playwright_api
):
    """The socket closes 4403 as soon as the user is saved without staff status."""
    expect = playwright_api.expect
    with signed_in(playwright_api, asgi_live_server, "#/alerts") as (page, state, problems):
        expect(state).to_have_attribute("data-state", "live")
        no_longer_staff()
        ended = page.get_by_test_id("session-ended")
        expect(ended).to_have_text(
            "This account may no longer see the dashboard — log in again", timeout=30_000
        )
        expect(state).to_have_attribute("data-state", "signed-out")
        ended.get_by_role("link", name="log in again").click()
        expect(page.get_by_test_id("signed-in-as")).to_contain_text(
            f"You are signed in as {STAFF}, which is not a staff account."
        )
    # A read the page sent between the demotion and the socket's close is refused, as it
    # must be; the browser logs that 403. Anything else would be a problem.
    assert [p for p in problems if "403 (Forbidden)" not in p] == []
