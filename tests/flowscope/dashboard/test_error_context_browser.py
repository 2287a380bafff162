"""An error's page shows each frame's source lines, its own line marked, and the locals of
the project's frames: a value as it was, a secret local masked."""

import pytest

from flowscope.models import ErrorLog
from tests.browser import browser_page
from tests.flowscope.dashboard.traffic import call

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.flowscope.dashboard.error_urls"),
]


def in_app_frame(page, function):
    name = page.locator(".frame-fn").get_by_text(function, exact=True)
    return page.get_by_test_id("stack-trace").locator(".frame.in-app", has=name)


def local_value(frame, name):
    """The value cell of the local ``name`` in ``frame``'s table."""
    header = frame.page.get_by_role("rowheader", name=name, exact=True)
    return frame.get_by_test_id("frame-locals").locator("tr", has=header).locator("td")


def test_a_frame_opens_to_its_source_lines_and_scrubbed_locals(
    live_server, staff_session, real_recorder, playwright_api
):
    status, _ = call(live_server.url, "/card-crash/", "wf-card-crash")
    assert status == 500
    assert real_recorder.flush(10)
    error = ErrorLog.objects.get(error_type="json.decoder.JSONDecodeError")

    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/errors/{error.pk}")
        frames = page.get_by_test_id("stack-trace")
        charge = in_app_frame(page, "_charge")
        view = in_app_frame(page, "card_crash_view")

        # The innermost frame of the project's code is open: its line marked among its
        # neighbours, its locals beside.
        expect(charge.locator("details")).to_have_attribute("open", "")
        source = charge.get_by_test_id("frame-source")
        expect(source.locator(".source-line")).to_have_count(11)
        expect(source.locator(".source-line.current")).to_contain_text("return json.loads(")
        line = next(f["line"] for f in error.stack_trace if f["function"] == "_charge")
        expect(source.locator(".source-line.current .line-no")).to_have_text(str(line))
        expect(source.locator(".line-no").first).to_have_text(str(line - 5))
        expect(local_value(charge, "amount")).to_have_text("12.5")

        # The view's frame opens on a click: the secret local masked, the card number too.
        locals_table = view.get_by_test_id("frame-locals")
        expect(locals_table).to_be_hidden()
        view.locator("summary").first.click()
        expect(locals_table).to_be_visible()
        expect(local_value(view, "password")).to_have_text("[Filtered]")
        expect(local_value(view, "card")).to_have_text("'[Filtered card]'")
        expect(local_value(view, "order")).to_have_text(
            "{'id': 7, 'card_number': '[Filtered]', 'total': 12.5}"
        )
        expect(local_value(view, "broken")).to_have_text("<unrepresentable Unprintable>")
        expect(view.locator(".source-line.current")).to_contain_text("return _charge(")
        expect(view.get_by_test_id("frame-source")).to_contain_text('password = "[Filtered]"')
        expect(page.locator("body")).not_to_contain_text("hunter2")

        # Library frames fold away and never show locals.
        library = frames.locator(".lib-frames").last
        library.locator("summary").first.click()
        expect(library.locator(".frame.lib").first).to_be_visible()
        expect(library.get_by_test_id("frame-locals")).to_have_count(0)
    assert problems == []
