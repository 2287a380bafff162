"""EXPLAIN of a stored SELECT, on the database it ran on: the plan, never the query run;
anything but one SELECT, a masked parameter and anyone but staff are refused."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from flowscope.analysis.explain import _limited, _run
from flowscope.models import TraceStep
from flowscope.recording import writer
from tests.flowscope.capture.sql_views import PLAIN_PASSWORD, store_requests
from tests.flowscope.conftest import client_for
from tests.flowscope.factories import make_span, make_trace

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.flowscope.capture.sql_views")]


def explain(client, step, **body):
    url = reverse("flowscope:step-explain", args=[step.pk])
    return client.post(url, body, format="json")


def quoted(step):
    """The step's SQL with MySQL's backticks as the other databases quote names."""
    return step.metadata["sql"].replace("`", '"')


def step_like(steps, *words):
    return next(s for s in steps if all(w in quoted(s) for w in words))


@pytest.fixture
def steps(db):
    return list(store_requests("/sign-up/", "/look-up/", "/stacked/"))


@pytest.fixture
def client(db):
    return client_for(get_user_model().objects.create_user("dba", password="x", is_staff=True))


def test_a_captured_select_is_explained_on_its_own_database(client, steps):
    select = step_like(steps, '"username" = ?')
    answer = explain(client, select)
    assert answer.status_code == 200, answer.json()
    plan = answer.json()
    assert (plan["vendor"], plan["alias"]) == (connection.vendor, "default")
    assert plan["rows"]
    if connection.vendor == "mysql":  # a table of the plan, one row per table read
        assert "select_type" in plan["columns"] and plan["text"] is None
    else:  # "Index Scan using auth_user_username_key on auth_user", "SEARCH auth_user ..."
        assert "auth_user" in plan["text"]
    assert get_user_model().objects.filter(username="sql-carol").exists()  # nothing changed


@pytest.mark.parametrize("verb", ["INSERT", "UPDATE"])
def test_a_write_is_refused_naming_why(client, steps, verb):
    answer = explain(client, step_like(steps, verb, "auth_user"))
    assert answer.status_code == 400
    assert answer.json()["detail"] == (f"Only a SELECT can be explained; this step is {verb}.")


def test_a_delete_is_refused(client, db):
    writer.write([make_trace(spans=[database_step("DELETE FROM t WHERE id = %s", [1])])])
    answer = explain(client, TraceStep.objects.get(layer="database"))
    assert answer.status_code == 400
    assert "this step is DELETE" in answer.json()["detail"]


def test_an_ingested_database_step_is_refused(client, db):
    sent = make_span("database", "SELECT 1", attributes={"db.statement": "SELECT 1"})
    writer.write([make_trace(spans=[sent])])
    answer = explain(client, TraceStep.objects.get(layer="database"))
    assert answer.status_code == 400
    assert "this step was ingested" in answer.json()["detail"]


def test_a_statement_stacked_behind_a_select_is_refused(client, steps):
    stacked = step_like(steps, "DELETE")
    assert stacked.metadata["operation"] == "SELECT"  # the step is a SELECT, by its head
    answer = explain(client, stacked)
    assert answer.status_code == 400
    assert answer.json()["detail"] == "EXPLAIN takes one statement; this holds 2."


def test_a_masked_parameter_must_be_supplied(client, steps):
    by_password = step_like(steps, "SELECT", '"password" = ?')
    withheld = by_password.metadata["params_withheld"]
    answer = explain(client, by_password)
    assert answer.status_code == 400
    assert answer.json()["code"] == "param_withheld"
    assert f"EXPLAIN needs the real value of parameter {withheld[0]}" in answer.json()["detail"]
    # Every value of a statement naming the password column is masked: all are asked for.
    values = {str(n): PLAIN_PASSWORD if n == withheld[-1] else "x" for n in withheld}
    supplied = explain(client, by_password, params=values)
    assert supplied.status_code == 200, supplied.json()
    assert supplied.json()["rows"]


def test_a_parameter_that_does_not_exist_is_named(client, steps):
    answer = explain(client, step_like(steps, '"username" = ?'), params={"9": "x"})
    assert answer.status_code == 400
    assert "Parameter '9'" in answer.json()["detail"]


def test_a_database_this_process_does_not_have_is_refused(client, db):
    step = database_step('SELECT "a" FROM "t" WHERE "t"."b" = %s', [1], alias="reporting")
    writer.write([make_trace(spans=[step])])
    answer = explain(client, TraceStep.objects.get(layer="database"))
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "The query ran on database 'reporting', which this process does not have."
    )


def test_staff_only(steps, customer_client, anonymous_client):
    select = step_like(steps, '"username" = ?')
    assert explain(customer_client, select).status_code == 403
    assert explain(anonymous_client, select).status_code in (401, 403)


def test_staff_only_even_where_the_dashboard_lets_others_watch(steps, customer_client, settings):
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }
    assert explain(customer_client, step_like(steps, '"username" = ?')).status_code == 403


def test_asking_too_often_is_told_to_wait(client, steps, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "EXPLAIN_RATE": "2/min"}
    select = step_like(steps, '"username" = ?')
    assert [explain(client, select).status_code for _ in range(3)] == [200, 200, 429]


def database_step(statement, params, alias="default"):
    """A database step as the writer stores one (see ``records.preparation``)."""
    operation = statement.split()[0]
    return make_span(
        "database",
        statement,
        vendor=connection.vendor,
        alias=alias,
        operation=operation,
        sql=statement.replace("%s", "?"),
        params=params,
        **({"statement": statement} if operation == "SELECT" else {}),
    )


@pytest.mark.postgres
def test_even_a_write_past_the_check_cannot_change_postgresql(db):
    """The read-only transaction is the second guard: a statement stacked behind the
    EXPLAIN (which the check refuses first) fails there instead of writing."""
    with pytest.raises(DatabaseError, match="read-only transaction"):
        _run(connection, "SELECT 1; CREATE TABLE explain_wrote (id int)", None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('explain_wrote')")
        assert cursor.fetchone() == (None,)
    assert get_user_model().objects.create_user("still-writable").pk  # rolled back, not stuck


@pytest.mark.mysql
def test_the_explain_transaction_cannot_write_on_mysql(transactional_db):
    """On MySQL/MariaDB the rolled-back transaction is read-only too: a write reaching it
    past the check fails instead of writing."""
    with transaction.atomic(), connection.cursor() as cursor:
        with _limited(connection, cursor, 1000), pytest.raises(DatabaseError, match="READ ONLY"):
            cursor.execute("INSERT INTO auth_group (name) VALUES ('explain wrote')")
        transaction.set_rollback(True)
    assert not Group.objects.filter(name="explain wrote").exists()
