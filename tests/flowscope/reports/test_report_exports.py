"""Exports through the API, and the HTML of a real failed checkout in a real browser."""

import base64
import csv
import hashlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from reportlab.platypus import Paragraph

from flowscope.models import Report
from flowscope.reports.exporters import pdf
from shop import payments
from shop.simulation.browser import Browser
from tests.browser import browser_page
from tests.flowscope.api.test_replay import ALICE_IDENTITY, replay_diff, replayed
from tests.shop_data import DECLINED_CARD, buy

URL = "/api/v1/debugging/reports/"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


class TextOf(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def failed_checkout(live_server, real_recorder, settings, novel, alice):
    """A demo customer looks at related products (the shop's N+1) and is declined."""
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 5, "FAILURE_RATE": 0.0}
    browser = Browser(live_server.url, "checkout", correlation_id="wf-report")
    browser.call("GET", f"/api/v1/products/{novel.pk}/related/")
    assert buy(browser, novel, DECLINED_CARD).status == 402
    assert real_recorder.flush(10)
    return "wf-report"


def section(report, key):
    return next(s for s in report["sections"] if s["key"] == key)


def generate(client, correlation_id):
    response = client.post(
        URL + "generate_workflow_report/", {"correlation_id": correlation_id}, format="json"
    )
    assert response.status_code == 201
    return response.json()["id"]


def test_each_format_downloads_and_parses(staff_client, failed_checkout):
    report_id = generate(staff_client, failed_checkout)
    answers = {
        fmt: staff_client.get(f"{URL}{report_id}/export/", {"format": fmt})
        for fmt in ("json", "csv", "md", "html", "pdf")
    }
    for fmt, response in answers.items():
        assert response.status_code == 200, fmt
        assert f"flowscope-workflow-report-{report_id}." in response["Content-Disposition"]
    assert json.loads(answers["json"].content)["id"] == report_id
    rows = list(csv.reader(io.StringIO(answers["csv"].content.decode())))
    assert ["Step tree"] in rows
    assert "| Step |" in answers["md"].content.decode()
    parser = TextOf()
    parser.feed(answers["html"].content.decode())
    assert "script" not in parser.tags
    assert answers["pdf"].content.startswith(b"%PDF-")
    response = staff_client.get(f"{URL}{report_id}/export/", {"format": "docx"})
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def policy_of(text):
    directives = [part.strip().split() for part in text.split(";")]
    return {name: values for name, *values in directives}


def test_the_html_export_allows_only_its_own_stylesheet(staff_client, failed_checkout):
    report_id = generate(staff_client, failed_checkout)
    response = staff_client.get(f"{URL}{report_id}/export/", {"format": "html"})
    header = policy_of(response["Content-Security-Policy"])
    page = response.content.decode()
    (meta,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    (stylesheet,) = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode()).digest()).decode()
    assert header == {**policy_of(meta.replace("&#x27;", "'")), "frame-ancestors": ["'none'"]}
    assert header["default-src"] == ["'none'"]
    assert header["style-src"] == [f"'sha256-{digest}'"]
    assert " style=" not in page  # no inline style attribute: the policy would drop it


# Every CSP violation the page reports, whatever the console says about it.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective}: ${event.blockedURI}`);
});
"""


def test_the_html_report_shows_tree_error_and_advice_in_a_browser(
    staff_client, failed_checkout, playwright_api
):
    report_id = generate(staff_client, failed_checkout)
    html = staff_client.get(f"{URL}{report_id}/export/", {"format": "html"}).content
    ARTIFACTS.mkdir(exist_ok=True)
    page_file = ARTIFACTS / "failed-checkout-report.html"
    page_file.write_bytes(html)
    with browser_page(playwright_api, init_script=VIOLATIONS) as (page, problems):
        page.goto(page_file.as_uri())
        page.screenshot(path=str(ARTIFACTS / "failed-checkout-report.png"), full_page=True)
        visible = page.inner_text("body")
        violations = page.evaluate("window.__violations")
        # Indents and bars come from the stylesheet's rules, under the policy.
        child = page.locator("td.child").first.evaluate("(td) => getComputedStyle(td).paddingLeft")
        bars = page.locator(".bar span").evaluate_all(
            "(spans) => spans.map((span) => span.getBoundingClientRect().width)"
        )
    assert problems == []
    assert violations == []
    assert float(child.removesuffix("px")) > 12 + 16
    assert bars and max(bars) > 100
    assert "POST /api/v1/orders/checkout/" in visible
    assert "payment_gateway.charge" in visible
    assert "HTTP 402" in visible
    assert "N+1" in visible
    assert "select_related" in visible or "prefetch_related" in visible
    assert Report.objects.get(pk=report_id).report_type == "workflow"


def flat(flowables):
    for flowable in flowables:
        yield flowable
        yield from flat(getattr(flowable, "_content", []))


def test_each_format_holds_the_latest_replays_diff_summary(
    staff_client, failed_checkout, real_recorder, settings
):
    never = staff_client.get(f"{URL}{generate(staff_client, failed_checkout)}/").json()
    assert section(never, "replay")["text"] == "Never replayed."
    identity = {**ALICE_IDENTITY, "card_number": payments.VALID_CARD_NUMBER}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": identity}
    replay = replayed(staff_client, failed_checkout)  # with the test card: paid this time
    replay_diff(staff_client, real_recorder, replay)

    report_id = generate(staff_client, failed_checkout)
    stored = staff_client.get(f"{URL}{report_id}/").json()
    summary = section(stored, "replay")["fields"]
    assert summary["Replay"] == replay["correlation_id"]
    assert (summary["By"], summary["Status"]) == ("ops", "failed → completed")
    assert summary["Steps changed"] >= 1 and summary["Steps gone"] == 0
    checkout = next(
        r
        for r in section(stored, "replay_steps")["rows"]
        if r[0] == "POST /api/v1/orders/checkout/"
    )
    assert checkout[2:4] == ["changed", "402 → 201"]
    answers = {
        fmt: staff_client.get(f"{URL}{report_id}/export/", {"format": fmt}).content
        for fmt in ("json", "csv", "md", "html", "pdf")
    }
    for fmt in ("json", "csv", "md", "html"):
        text = answers[fmt].decode()
        assert "Latest replay" in text and replay["correlation_id"] in text, fmt
        assert "failed → completed" in text and "402 → 201" in text, fmt
    assert answers["pdf"].startswith(b"%PDF-")  # its text is in subset fonts: read its story
    headings = [f.text for f in flat(pdf._story(stored, "", 500)) if isinstance(f, Paragraph)]
    assert "Latest replay" in headings and "Latest replay: steps that differ" in headings
