import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from flowscope.models import DashboardConfiguration
from flowscope.testing import use_recorder
from tests.flowscope.conftest import client_for

CONFIG = "/api/v1/debugging/dashboard-config/"
HEALTH = "/api/v1/debugging/health/"
pytestmark = pytest.mark.django_db

VALID = {
    "name": "Checkout watch",
    "refresh_interval": 30,
    "widgets": ["system_health"],
    "default_window": "6h",
    "thresholds": {"response_time_ms": {"warning": 200, "critical": 800}},
}


def test_create_read_update_delete(staff_client):
    created = staff_client.post(CONFIG, VALID, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["is_default"] is True  # the first one is the default
    url = f"{CONFIG}{body['id']}/"
    assert (
        staff_client.patch(url, {"refresh_interval": 5}, format="json").json()["refresh_interval"]
        == 5
    )
    assert (
        staff_client.put(url, {**VALID, "name": "Renamed"}, format="json").json()["name"]
        == "Renamed"
    )
    assert staff_client.get(CONFIG).json()["count"] == 1
    assert staff_client.delete(url).status_code == 204
    assert staff_client.get(CONFIG).json()["count"] == 0


def test_one_default_per_user(staff_client):
    first = staff_client.post(CONFIG, VALID, format="json").json()
    second = staff_client.post(
        CONFIG, {**VALID, "name": "B", "is_default": True}, format="json"
    ).json()
    assert second["is_default"] is True
    assert staff_client.get(f"{CONFIG}{first['id']}/").json()["is_default"] is False


@pytest.mark.parametrize(
    "change, field",
    [
        ({"refresh_interval": 0}, "refresh_interval"),
        ({"refresh_interval": 86400}, "refresh_interval"),
        ({"widgets": ["coffee_machine"]}, "widgets"),
        ({"default_window": "2y"}, "default_window"),
        ({"thresholds": {"happiness": {"warning": 1}}}, "thresholds"),
        ({"thresholds": {"response_time_ms": {"warning": "slow"}}}, "thresholds"),
        ({"thresholds": {"response_time_ms": {"warning": 900, "critical": 100}}}, "thresholds"),
        # Past the default warning (50) once merged over the settings.
        ({"thresholds": {"requests_per_workflow": {"info": 60}}}, "thresholds"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_values_are_400_naming_the_field(staff_client, change, field):
    response = staff_client.post(CONFIG, {**VALID, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not DashboardConfiguration.objects.exists()


def test_the_rules_thresholds_and_levels_turned_off_are_accepted(staff_client):
    thresholds = {
        "slow_query_ms": {"warning": 50, "critical": None},
        "requests_per_workflow": {"info": 10},
    }
    response = staff_client.post(CONFIG, {**VALID, "thresholds": thresholds}, format="json")
    assert response.status_code == 201, response.json()
    assert DashboardConfiguration.objects.get().thresholds == thresholds


def test_names_are_unique_per_user(staff_client):
    staff_client.post(CONFIG, VALID, format="json")
    assert "name" in staff_client.post(CONFIG, VALID, format="json").json()["errors"]


def test_another_users_configuration_is_not_found(staff_client):
    other = get_user_model().objects.create_user("other", is_staff=True)
    theirs = client_for(other).post(CONFIG, VALID, format="json").json()
    url = f"{CONFIG}{theirs['id']}/"
    assert staff_client.get(url).status_code == 404
    assert staff_client.patch(url, {"name": "mine"}, format="json").status_code == 404
    assert staff_client.delete(url).status_code == 404
    assert staff_client.get(CONFIG).json()["count"] == 0


def test_health_tells_anyone_up_and_staff_the_details(anonymous_client, staff_client):
    assert anonymous_client.get(HEALTH).json() == {"status": "ok"}
    body = staff_client.get(HEALTH).json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "cache", "channel_layer", "recorder", "alerts"}
    assert body["components"]["database"]["latency_ms"] >= 0
    assert "dropped" in body["components"]["recorder"]
    assert set(body["components"]["channel_layer"]["live_events"]) == {
        "published",
        "overflow",
        "failed",
        "group_errors",
        "layer_errors",
        "missed",
    }


def test_health_is_503_when_a_component_is_down(anonymous_client, staff_client, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "nowhere.ChannelLayer"}}
    assert anonymous_client.get(HEALTH).status_code == 503
    body = staff_client.get(HEALTH).json()
    assert (body["status"], body["down"]) == ("down", ["channel_layer"])
    assert "nowhere" in body["components"]["channel_layer"]["error"]


def test_without_a_channel_layer_health_says_live_updates_are_off(
    anonymous_client, staff_client, settings
):
    """A host without sockets (WSGI only) is healthy: the dashboard polls."""
    settings.CHANNEL_LAYERS = {}
    assert anonymous_client.get(HEALTH).status_code == 200
    body = staff_client.get(HEALTH).json()
    assert (body["status"], body["down"]) == ("ok", [])
    channel_layer = body["components"]["channel_layer"]
    assert (channel_layer["status"], channel_layer["detail"]) == ("off", "no channel layer")
    assert channel_layer["fix"].startswith("Set CHANNEL_LAYERS")


def test_health_reports_a_dead_writer(staff_client):
    class DeadRecorder:
        def snapshot(self):
            return {"queued": 5, "writer_alive": False, "queue_depth": 5}

    with use_recorder(DeadRecorder()):
        assert staff_client.get(HEALTH).status_code == 503


def test_a_configuration_reads_back_as_written(staff_client):
    """A level left out is the project's; written back after a read, it must not turn
    into ``null``, which turns the level off."""
    thresholds = {"requests_per_workflow": {"warning": 60}, "slow_query_ms": {"critical": None}}
    created = staff_client.post(CONFIG, {**VALID, "thresholds": thresholds}, format="json")
    assert created.json()["thresholds"] == thresholds
    read = staff_client.get(f"{CONFIG}{created.json()['id']}/").json()
    assert read["thresholds"] == thresholds


def test_misordered_levels_are_named_by_the_level_the_request_set(staff_client):
    change = {"thresholds": {"response_time_ms": {"warning": 900, "critical": 100}}}
    errors = staff_client.post(CONFIG, {**VALID, **change}, format="json").json()["errors"]
    (message,) = errors["thresholds"]["response_time_ms"]["critical"]
    assert "'critical' (100) must be past 'warning' (900)" in message
    # Only "info" was set: it is the one at fault, against the default warning (50).
    change = {"thresholds": {"requests_per_workflow": {"info": 60}}}
    errors = staff_client.post(CONFIG, {**VALID, **change}, format="json").json()["errors"]
    assert "info" in errors["thresholds"]["requests_per_workflow"]


@override_settings(FLOWSCOPE={"THRESHOLDS": {"response_time_ms": {"warning": 300}}})
def test_the_defaults_are_the_projects_thresholds_level_by_level(staff_client):
    defaults = staff_client.get(f"{CONFIG}defaults/").json()
    assert defaults["thresholds"]["response_time_ms"] == {
        "warning": 300,  # the project's
        "critical": 2000,  # flowscope's, which the project left alone
        "above": True,
    }
    assert defaults["thresholds"]["cache_hit_ratio"]["above"] is False
    assert defaults["thresholds"]["requests_per_workflow"] == {
        "info": 20,
        "warning": 50,
        "above": True,
    }
    assert defaults["refresh_interval"] == DashboardConfiguration().refresh_interval
    assert defaults["widgets"] == list(DashboardConfiguration.WIDGETS)
