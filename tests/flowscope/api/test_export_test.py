"""``GET workflows/<id>/export-test/``: a captured workflow downloaded as a Python test,
scrubbed as stored; JSON errors for a workflow that is not there or has no requests."""

import pytest

from flowscope.recording import writer
from shop.simulation.browser import Browser
from tests.flowscope.api.test_schema import fetch_schema
from tests.flowscope.factories import make_trace
from tests.shop_data import ALICE_PASSWORD, DECLINED_CARD, buy

WORKFLOWS = "/api/v1/debugging/workflows/"


@pytest.fixture(autouse=True)
def _instant_gateway(settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}


def test_a_declined_checkout_downloads_as_a_test_with_its_secrets_left_to_fill_in(
    live_server, staff_client, real_recorder, novel, alice
):
    browser = Browser(live_server.url, "checkout", correlation_id="wf-declined")
    assert buy(browser, novel, DECLINED_CARD).status == 402
    assert real_recorder.flush(10)

    response = staff_client.get(f"{WORKFLOWS}wf-declined/export-test/", HTTP_ACCEPT="text/x-python")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-python"
    assert response["Content-Disposition"] == 'attachment; filename="test_checkout_wf-decli.py"'
    source = response.content.decode()
    compile(source, "exported.py", "exec")
    assert DECLINED_CARD not in source and ALICE_PASSWORD not in source
    assert 'CARD_NUMBER = ""  # body "card_number" of POST /api/v1/orders/checkout/' in source
    assert "self.assertEqual(response.status_code, 402)" in source
    assert '"$.detail": "string"' in source  # the decline's answer is stored: its shape


def test_a_workflow_without_stored_requests_is_a_409_naming_why(staff_client):
    writer.write([make_trace("wf-1")])  # a request step without what a test would send
    response = staff_client.get(f"{WORKFLOWS}wf-1/export-test/")
    assert response.status_code == 409
    assert response.json()["detail"] == "This workflow has no stored requests to export."
    assert response.json()["code"] == "nothing_to_export"


def test_an_unknown_workflow_is_a_404_in_json(staff_client, db):
    response = staff_client.get(f"{WORKFLOWS}{'f' * 32}/export-test/", HTTP_ACCEPT="text/x-python")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_schema_describes_the_download(db):
    operation = fetch_schema()["paths"]["/debugging/workflows/{correlation_id}/export-test/"]
    answers = operation["get"]["responses"]
    assert set(answers["200"]["content"]) == {"text/x-python"}
    assert {"404", "409"} <= set(answers)
