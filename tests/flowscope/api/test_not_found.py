"""An unknown path or id under flowscope's API is a JSON 404, whatever the host's 404 page."""

import pytest
from django.test import Client

pytestmark = pytest.mark.urls("tests.flowscope.api.bare_urls")


@pytest.mark.parametrize(
    "path",
    [
        "errors/not-a-number/",
        "errors/999999999/",
        "errors/99999999999999999999/",  # past any integer column
        "reports/999999/",
        "no-such-endpoint/",
    ],
)
def test_unknown_paths_and_ids_answer_json_404(staff_client, path):
    response = staff_client.get(f"/api/v1/debugging/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_path_without_its_slash_is_still_redirected(staff_client):
    response = staff_client.get("/api/v1/debugging/errors")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/debugging/errors/")


def test_a_post_to_an_unknown_path_is_a_json_404_not_the_csrf_page(staff):
    client = Client(enforce_csrf_checks=True)  # as a browser session would be checked
    client.force_login(staff)
    response = client.post("/api/v1/debugging/errors/0.5/resolve/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
