"""Request bodies are JSON, each value of the JSON type the schema gives its field: a value
of another type is a 400 naming the field, not converted; another media type is a 415."""

import pytest

CONFIGS = "/api/v1/debugging/dashboard-config/"
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 5),
        ("is_default", "yes"),
        ("is_default", 1),
        ("refresh_interval", "30"),
        ("refresh_interval", True),
        ("widgets", "system_health"),
        ("widgets", [1]),
        ("thresholds", {"error_rate": {"warning": "0.1"}}),
    ],
)
def test_a_value_of_another_json_type_is_refused_by_name(staff_client, field, value):
    response = staff_client.post(CONFIGS, {"name": "mine", field: value}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_values_of_their_own_types_are_taken(staff_client):
    body = {
        "name": "mine",
        "is_default": True,
        "refresh_interval": 30,
        "widgets": ["system_health"],
    }
    response = staff_client.post(CONFIGS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["refresh_interval"] == 30


def test_a_form_body_is_an_unsupported_media_type(staff_client):
    response = staff_client.post(CONFIGS, {"name": "mine"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
