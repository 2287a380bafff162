"""The releases API: staff only, the latest two compared by default, and a release that was
never seen is a 404 naming the parameter."""

from datetime import timedelta

import pytest

from flowscope.recording import writer
from tests.flowscope.factories import T0, make_trace

RELEASES = "/api/v1/debugging/releases/"
COMPARE = "/api/v1/debugging/releases/compare/"


def tagged(correlation_id, release, at):
    trace = make_trace(correlation_id, at=at, workflow_type="login", complete=True)
    trace.release = release
    return trace


@pytest.fixture
def two_releases(db):
    writer.write([tagged("a", "2026.11.1", T0), tagged("b", "2026.12.1", T0 + timedelta(days=1))])


def test_releases_are_for_staff_only(two_releases, customer_client):
    assert customer_client.get(RELEASES).status_code == 403
    assert customer_client.get(COMPARE).status_code == 403


def test_without_parameters_the_latest_release_is_compared_with_the_one_before(
    two_releases, staff_client
):
    listed = staff_client.get(RELEASES).json()["results"]
    assert [r["release"] for r in listed] == ["2026.12.1", "2026.11.1"]
    answer = staff_client.get(COMPARE).json()
    assert (answer["base"]["release"], answer["head"]["release"]) == ("2026.11.1", "2026.12.1")
    assert [row["workflow_type"] for row in answer["workflow_types"]] == ["login"]
    assert answer["steps"][0]["step"] == "GET /api/v1/x/"


def test_a_release_never_seen_is_not_found_by_name(two_releases, staff_client):
    answer = staff_client.get(COMPARE, {"base": "2026.11.1", "head": "nope"})
    assert answer.status_code == 404
    assert answer.json()["detail"] == "head: no workflow of release 'nope' has been recorded."


def test_with_one_release_there_is_nothing_to_compare(db, staff_client):
    writer.write([tagged("a", "2026.11.1", T0)])
    answer = staff_client.get(COMPARE)
    assert answer.status_code == 404
    assert "Fewer than two releases" in answer.json()["detail"]


def test_workflows_are_listed_by_release(two_releases, staff_client):
    listed = staff_client.get("/api/v1/debugging/workflows/", {"release": "2026.11.1"}).json()
    assert [(w["correlation_id"], w["release"]) for w in listed["results"]] == [("a", "2026.11.1")]
