"""Release comparison on the shop's own traffic: customers served by release v1, then by
v2, whose product page runs one more query; the comparison names that step and the query,
with the line of code that runs it."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from flowscope.models import WorkflowSession
from flowscope.reports import performance
from tests.release_traffic import PRODUCT_PAGE, two_releases


@pytest.fixture
def shop(real_recorder):
    call_command("seed_demo")


@pytest.fixture
def staff_client(db):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("ops", is_staff=True))
    return client


def test_the_comparison_names_the_step_that_runs_a_new_query(
    live_server, shop, real_recorder, staff_client, monkeypatch, settings
):
    before, after = two_releases(live_server.url, settings, monkeypatch, real_recorder)

    tags = dict(WorkflowSession.objects.values_list("correlation_id", "release"))
    assert {tags[b.correlation_id] for b in before} == {"v1"}
    assert {tags[b.correlation_id] for b in after} == {"v2"}
    shown = staff_client.get(f"/api/v1/debugging/workflows/{after[0].correlation_id}/")
    assert shown.json()["workflow"]["release"] == "v2"

    listed = staff_client.get("/api/v1/debugging/releases/").json()["results"]
    assert [row["release"] for row in listed] == ["v2", "v1"]
    assert [row["workflows"] for row in listed] == [4, 4]

    # No parameters: the latest release against the one before it.
    comparison = staff_client.get("/api/v1/debugging/releases/compare/").json()
    assert (comparison["base"]["release"], comparison["head"]["release"]) == ("v1", "v2")
    # (Timings vary from run to run: what got slower is not asserted here.)
    [change] = [c for c in comparison["changes"] if "chattier" in c["changes"]]
    assert (change["workflow_type"], change["step"]) == ("product_fetch", PRODUCT_PAGE)
    assert change["head"]["queries_per_request"] - change["base"]["queries_per_request"] == 1
    [added] = change["queries"]
    assert added["new"] and (added["base_per_request"], added["head_per_request"]) == (0, 1)
    assert added["sql"].startswith("SELECT COUNT(*)") and "shop_product" in added["sql"]
    assert added["call_site"]["function"] == "retrieve"
    assert added["call_site"]["file"].endswith("release_traffic.py")

    # The performance report says the same.
    now = timezone.now()
    report = performance.build(now - timedelta(hours=1), now + timedelta(minutes=1))
    section = next(s for s in report["sections"] if s["key"] == "releases")
    assert section["title"] == "Release comparison: v1 to v2"
    [row] = [r for r in section["rows"] if "chattier" in r[2]]
    assert row[:2] == ["product_fetch", PRODUCT_PAGE]
    assert row[8] == added["sql"] and "release_traffic.py" in row[9]
