"""A query's parameters are stored beside its SQL, scrubbed: what the page shows and
EXPLAIN replays. A password column's value and a card number never reach the store."""

import pytest
from django.core import serializers

from flowscope.models import TraceStep
from flowscope.records.scrubbing import FILTERED, FILTERED_CARD
from tests.flowscope.capture.sql_views import CARD, PLAIN_PASSWORD, store_requests

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.flowscope.capture.sql_views")]


def quoted(step):
    """The step's SQL with MySQL's backticks as the other databases quote names."""
    return step.metadata["sql"].replace("`", '"')


def step_like(steps, *words):
    found = [s for s in steps if all(w in quoted(s) for w in words)]
    assert len(found) == 1, [s.metadata["sql"] for s in steps]
    return found[0]


def test_parameters_are_stored_beside_the_sql(db):
    steps = store_requests("/look-up/")
    by_name = step_like(steps, '"username" = ?')
    assert by_name.metadata["params"] == ["alice"]
    assert "params_withheld" not in by_name.metadata
    assert by_name.metadata["alias"] == "default"
    assert by_name.metadata["statement"].startswith("SELECT ")
    assert "%s" in by_name.metadata["statement"]


def test_a_password_column_and_a_card_number_never_reach_the_store(db):
    steps = store_requests("/sign-up/", "/look-up/")
    stored = serializers.serialize("json", TraceStep.objects.all())
    assert PLAIN_PASSWORD not in stored
    assert CARD not in stored
    insert = step_like(steps, "INSERT", '"password"')
    columns = quoted(insert).split("(", 1)[1].split(")")[0].replace('"', "").split(", ")
    # A statement naming a secret column has every value masked: which value is whose is
    # not always knowable from its text (DEFAULT among VALUES, bulk_update's CASE WHEN).
    assert set(insert.metadata["params"]) == {FILTERED}
    assert insert.metadata["params_withheld"] == list(range(1, len(columns) + 1))
    update = step_like(steps, "UPDATE", '"password" = ?')
    assert update.metadata["params"][0] == FILTERED
    assert "statement" not in update.metadata  # kept for SELECTs only
    by_card = step_like(steps, '"first_name" = ?')
    params = by_card.metadata["params"]
    assert f"paid with {FILTERED_CARD}" in params
    assert by_card.metadata["params_withheld"] == [params.index(f"paid with {FILTERED_CARD}") + 1]


def test_long_values_are_stored_cut(db, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "SQL_PARAM_MAX_LENGTH": 3}
    steps = store_requests("/look-up/")
    by_name = step_like(steps, '"username" = ?')
    assert by_name.metadata["params"] == ["ali…[2 more characters]"]
    assert by_name.metadata["params_withheld"] == [1]


def test_nothing_of_the_kind_is_kept_when_switched_off(db, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "CAPTURE_SQL_PARAMS": False}
    steps = store_requests("/sign-up/", "/look-up/")
    assert steps.count() >= 4
    for step in steps:
        assert not {"params", "statement", "params_withheld"} & set(step.metadata)
