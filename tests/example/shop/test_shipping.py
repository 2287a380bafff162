"""The deliberately buggy shipping estimate: right for known countries, a 500 that
flowscope records as a KeyError for the others."""

import pytest

from flowscope.testing import capture_traces

pytestmark = pytest.mark.django_db


def test_a_known_country_gets_its_rate(anon):
    response = anon.get("/api/v1/shipping/estimate/?country=gb")
    assert response.status_code == 200
    assert response.json() == {"country": "GB", "price": "6.49", "days": 4}


def test_an_unknown_country_crashes_and_flowscope_records_the_key_error(anon):
    anon.raise_request_exception = False
    with capture_traces() as traces:
        response = anon.get("/api/v1/shipping/estimate/?country=JP")
    assert response.status_code == 500
    [trace] = traces
    assert [(e.error_type, e.message) for e in trace.errors] == [("KeyError", "'JP'")]
    assert trace.root.status == "error"
