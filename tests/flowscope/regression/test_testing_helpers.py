"""What an exported test imports from ``flowscope.testing``: a query count as the capture
counts it, and the masked values it fills in."""

import pytest
from django.contrib.auth import get_user_model

from flowscope.testing import MaskedValues, assert_num_queries

pytestmark = pytest.mark.django_db


def test_the_count_is_of_statements_sent_and_a_wrong_one_lists_them():
    users = get_user_model().objects
    with assert_num_queries(2) as sent:
        users.count()
        users.filter(username="alice").exists()
    assert len(sent) == 2
    wrong = pytest.raises(AssertionError, match=r"1 != 0 : 1 queries executed, 0 expected")
    with wrong as e, assert_num_queries(0):
        users.count()
    assert "1. SELECT COUNT(*)" in str(e.value)


def test_masked_values_are_filled_from_earlier_answers_and_empty_ones_are_refused(client):
    values = MaskedValues()
    values.learn(client.get("/api/v1/shipping/estimate/", {"country": "GB"}))
    assert values.fill("{country}-{days}") == "GB-4"
    assert values.fill("it's {not a field") == "it's {not a field"
    assert values.headers({"x-country": "in {country}", "cookie": ""}) == {"x-country": "in GB"}
    stored, masked = {"x-note": "{country}", "cookie": ""}, {"x-country": "in {country}"}
    assert values.headers(stored, masked) == {**stored, "x-country": "in GB"}  # as stored
    with pytest.raises(AssertionError, match="not filled in"):
        values.fill("")
    with pytest.raises(AssertionError, match=r"No value for \{token\}"):
        values.fill("Token {token}")  # no earlier answer had one
