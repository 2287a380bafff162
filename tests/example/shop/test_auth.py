import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def test_login_returns_a_token_that_authenticates(anon, user):
    response = anon.post(
        LOGIN, {"username": "shopper", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["user"] == {
        "id": user.pk,
        "username": "shopper",
        "email": "shopper@example.com",
        "is_staff": False,
    }
    anon.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert anon.get("/api/v1/cart/").status_code == 200


def test_wrong_password_is_401_with_json_error(anon, user):
    response = anon.post(LOGIN, {"username": "shopper", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid username or password.",
        "code": "invalid_credentials",
    }


def test_unknown_user_is_401(anon, db):
    response = anon.post(LOGIN, {"username": "ghost", "password": "x"}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"username", "password"}),
        ({"username": "shopper"}, {"password"}),
        ({"username": ["a"], "password": {"x": 1}}, {"username", "password"}),
    ],
)
def test_missing_or_mistyped_fields_are_named(anon, db, body, fields):
    response = anon.post(LOGIN, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


def test_malformed_json_is_400(anon, db):
    response = anon.post(LOGIN, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_logout_revokes_the_token(api):
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert api.get("/api/v1/cart/").status_code == 401


def test_bad_token_is_401(anon, db):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anon.get("/api/v1/cart/").status_code == 401
