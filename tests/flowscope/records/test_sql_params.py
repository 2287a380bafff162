"""Which parameter a query's SQL names as a secret, and what is stored of each value."""

import datetime
import decimal

import pytest

from flowscope.records import sql_params
from flowscope.records.scrubbing import FILTERED, FILTERED_CARD


def stored(sql, params):
    metadata = {"params": sql_params.held(params)}
    sql_params.store(sql, metadata)
    return metadata


@pytest.mark.parametrize(
    ("sql", "params", "secret"),
    [
        ('UPDATE "auth_user" SET "password" = %s, "email" = %s WHERE "id" = %s', ("h", "e", 1), 1),
        ('SELECT 1 FROM "auth_user" WHERE "auth_user"."password" = %s', ("h",), 1),
        ("SELECT 1 FROM users WHERE api_key=%s AND id = %s", ["k", 2], 1),
        ('SELECT 1 FROM t WHERE "t"."id" = %s AND "t"."secret" IN (%s, %s)', (1, "a", "b"), 2),
        ('INSERT INTO "shop" ("name", "card_number") VALUES (%s, %s), (%s, %s)', "abcd", 2),
        # A sensitive table: every value of it (an auth token's key is named "key").
        ('INSERT INTO "authtoken_token" ("key", "user_id") VALUES (%s, %s)', ("k", 1), 1),
        ('SELECT 1 FROM "django_session" WHERE "django_session"."session_key" = %s', ("s",), 1),
    ],
)
def test_a_value_of_a_sensitive_column_is_masked(sql, params, secret):
    metadata = stored(sql, tuple(params))
    assert metadata["params"][secret - 1] == FILTERED
    assert secret in metadata["params_withheld"]


def test_values_of_other_columns_are_kept_and_scrubbed_by_value():
    metadata = stored(
        'SELECT 1 FROM "t" WHERE "t"."a" = %s AND "t"."b" = %s AND "t"."c" = %s AND "t"."d" = %s',
        ["note token=abc123", 4111111111111111, "4111 1111 1111 1111", "ok"],
    )
    assert metadata["params"] == [f"note token={FILTERED}", FILTERED_CARD, FILTERED_CARD, "ok"]
    assert metadata["params_withheld"] == [1, 2, 3]


def test_values_not_stored_as_sent_are_listed():
    when = datetime.datetime(2026, 12, 6, 1, 2, 3)
    metadata = stored(
        "SELECT %s, %s, %s, %s, %s, %s",
        (when, decimal.Decimal("1.50"), b"\x00\x01", float("nan"), None, True),
    )
    assert metadata["params"] == ["2026-12-06 01:02:03", "1.50", "[2 bytes]", "nan", None, True]
    assert metadata["params_withheld"] == [3, 4]


def test_named_parameters_are_masked_by_their_own_name_or_by_a_secret_in_the_statement():
    metadata = stored(
        "SELECT 1 FROM t WHERE a = %(who)s AND b = %(token)s AND c = %(p)s",
        {"who": "bob", "token": "t", "p": "x"},
    )
    assert metadata["params"] == {"who": FILTERED, "token": FILTERED, "p": FILTERED}
    metadata = stored("SELECT 1 FROM t WHERE a = %(who)s", {"who": "bob", "api_key": "k"})
    assert metadata["params"] == {"who": "bob", "api_key": FILTERED}
    assert metadata["params_withheld"] == ["api_key"]


@pytest.mark.parametrize(
    "sql",
    [
        # bulk_update: the values after THEN have no column beside them
        'UPDATE "auth_user" SET "password" = CASE WHEN ("auth_user"."id" = %s) THEN %s '
        'ELSE NULL END WHERE "auth_user"."id" IN (%s)',
        # db_default: DEFAULT among the VALUES shifts the columns
        'INSERT INTO "auth_user" ("username", "created", "password") VALUES (%s, DEFAULT, %s)',
        # an alias of a secret table, a schema before a table, a function around a column
        'SELECT U1."user_id" FROM "authtoken_token" U1 WHERE U1."key" = %s AND 1 = %s',
        'INSERT INTO "public"."auth_user" ("username", "password") VALUES (%s, %s)',
        'SELECT "auth_user"."id" FROM "auth_user" WHERE UPPER("password") = UPPER(%s) AND 1=%s',
    ],
)
def test_no_value_of_a_statement_naming_a_secret_is_kept(sql):
    assert set(
        stored(sql, ("value-one", "value-two", "value-three")[: sql.count("%s")])["params"]
    ) == {FILTERED}


def test_a_select_listing_a_secret_column_keeps_the_values_of_its_other_filters():
    """Django lists every column of a user, the password's too, in each query of users."""
    sql = 'SELECT "auth_user"."id", "auth_user"."password" FROM "auth_user" WHERE "username" = %s'
    assert stored(sql, ("alice",))["params"] == ["alice"]


def test_a_list_is_copied_as_far_as_it_is_stored(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "SQL_PARAMS_MAX_COUNT": 3}
    params = [1, 2, 3, 4, 5]
    kept = sql_params.held(params)
    params[0] = 99  # the host changes its list after the query
    assert kept == (1, 2, 3, 4)
    metadata = {"params": kept}
    sql_params.store("SELECT 1 WHERE a IN (%s, %s, %s, %s, %s)", metadata)
    assert metadata["params"] == [1, 2, 3]
    assert metadata["params_cut"] is True


def test_a_tuple_is_kept_as_it_is():
    params = (1, "a")
    assert sql_params.held(params) is params


@pytest.mark.parametrize(
    ("sql", "kept"),
    [
        ('SELECT "a" FROM "t" WHERE "t"."b" = %s LIMIT 21', True),
        ("SELECT a FROM t WHERE name LIKE 'x%%' AND b = %s", True),
        ("SELECT a FROM t WHERE password = 'hunter2'", False),
        ("SELECT a FROM t WHERE note = 'token=abc'", False),
        ("SELECT a FROM t WHERE n = 4111111111111111", False),
    ],
)
def test_a_statement_is_kept_for_explain_only_when_no_literal_would_be_masked(sql, kept):
    assert (sql_params.explainable(sql) == sql) is kept


def test_a_column_named_in_scrub_keys_is_masked(settings):
    sql = 'SELECT 1 FROM "shop_customer" WHERE "shop_customer"."loyalty_code" = %s'
    assert stored(sql, ("L-1",))["params"] == ["L-1"]
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "SCRUB_KEYS": ["loyalty_code"]}
    assert stored(sql, ("L-1",))["params"] == [FILTERED]
