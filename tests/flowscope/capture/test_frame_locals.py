"""An exception's frames are stored with their source lines and, for the host's own code,
their local variables: scrubbed and capped, never a secret or a card number."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from flowscope.models import ErrorLog
from flowscope.testing import capture_traces

pytestmark = pytest.mark.urls("tests.flowscope.capture.views")

SECRETS = ("hunter2-in-a-local", "4111111111111111", "4242424242424242")


def stored_error(path, real_recorder):
    Client(raise_request_exception=False).get(path)
    assert real_recorder.flush(30)
    return ErrorLog.objects.get()


def frame_of(error, function):
    return next(f for f in error.stack_trace if f["function"] == function)


def test_no_card_number_or_password_of_a_local_reaches_the_store(real_recorder):
    error = stored_error("/card-crash/", real_recorder)
    stored = json.dumps(error.stack_trace).replace(" ", "")
    assert "in_app" in stored and "hunter2" not in stored  # the source line is masked too
    for secret in SECRETS:
        assert secret not in stored
    view = frame_of(error, "card_crash_view")["locals"]
    assert view["password"] == "[Filtered]"
    assert view["card"] == "'[Filtered card]'"
    assert view["order"] == "{'id': 7, 'card_number': '[Filtered]', 'total': 12.5}"
    assert frame_of(error, "_charge")["locals"] == {
        "amount": "12.5",
        "card": "'[Filtered card]'",
    }


def test_a_model_instance_is_its_label_and_key_never_its_text(real_recorder):
    user = get_user_model().objects.create_user("tokenholder")
    key = Token.objects.create(user=user).key
    Client(raise_request_exception=False).get(f"/token-crash/?user={user.username}")
    assert real_recorder.flush(30)
    error = ErrorLog.objects.get()
    assert key not in json.dumps(error.stack_trace)
    view = frame_of(error, "token_crash_view")["locals"]
    assert view["issued"] == "<authtoken.Token>"  # its key is its text and its pk
    assert view["owner"] == f"<auth.User pk={user.pk}>"


def test_credentials_no_name_gives_away_never_reach_the_store(real_recorder):
    error = stored_error("/credentials-crash/", real_recorder)
    # The locals (this test's source lines hold them as literals, as code can).
    stored = json.dumps([frame.get("locals") for frame in error.stack_trace])
    for secret in ("hunter-auth", "sekrit-header", "hunter-bytes", "sekrit-bearer", "c2ln"):
        assert secret not in stored, secret
    assert "hunter-url" not in stored
    assert "hunter-pin-6" not in stored  # @sensitive_variables, as Django's reports honour it
    view = frame_of(error, "credentials_crash_view")["locals"]
    assert view["auth"] == "[Filtered]"
    assert view["headers"] == "[(b'authorization', '[Filtered]')]"
    assert view["raw"] == "{b'password': '[Filtered]'}"
    assert view["database"] == "'postgres://admin:[Filtered]@db/prod'"
    assert frame_of(error, "_unlock")["locals"] == {"combination": "[Filtered]", "door": "134"}


def test_a_huge_local_and_a_repr_that_raises_are_capped_and_named(real_recorder):
    error = stored_error("/card-crash/", real_recorder)
    view = frame_of(error, "card_crash_view")["locals"]
    assert view["huge"].startswith("'xxx") and view["huge"].endswith("…")
    assert len(view["huge"]) <= 301
    assert view["broken"] == "<unrepresentable Unprintable>"


def test_library_frames_carry_no_locals_but_their_source_lines(real_recorder):
    error = stored_error("/card-crash/", real_recorder)
    library = [f for f in error.stack_trace if not f["in_app"]]
    assert any(f["file"] == "json/__init__.py" for f in library)
    assert library and all("locals" not in f for f in library)
    decoder = next(f for f in library if f["file"] == "json/decoder.py")
    assert decoder["context_line"].strip() == decoder["code"]


def test_each_frame_has_five_lines_of_source_before_and_after(real_recorder):
    error = stored_error("/card-crash/", real_recorder)
    charge = frame_of(error, "_charge")
    assert "json.loads" in charge["context_line"] and charge["code"].startswith("return json")
    assert charge["pre_context"][-2:] == ["", "def _charge(amount, card):"]
    assert charge["context_line"].startswith("    return")  # indented as in the file
    assert len(charge["pre_context"]) == 5 and len(charge["post_context"]) == 5
    view = frame_of(error, "card_crash_view")
    assert 'password = "[Filtered]"' in "\n".join(view["pre_context"])


@pytest.mark.django_db
def test_locals_are_capped_per_frame_and_switched_off_by_the_setting(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOCALS_MAX_VARIABLES": 2}
    with capture_traces() as traces:
        Client(raise_request_exception=False).get("/card-crash/")
    view = next(f for f in traces[0].errors[0].stack_trace if f["function"] == "card_crash_view")
    assert list(view["locals"]) == ["request", "card"] and view["more_locals"] == 4

    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "CAPTURE_LOCALS": False}
    with capture_traces() as traces:
        Client(raise_request_exception=False).get("/card-crash/")
    frames = traces[0].errors[0].stack_trace
    assert not any("locals" in f for f in frames) and frames[-1]["post_context"]


@pytest.mark.django_db
def test_only_the_innermost_in_app_frames_get_their_locals(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOCALS_MAX_FRAMES": 1}
    with capture_traces() as traces:
        Client(raise_request_exception=False).get("/card-crash/")
    with_locals = [f["function"] for f in traces[0].errors[0].stack_trace if "locals" in f]
    assert with_locals == ["_charge"]


@pytest.mark.django_db
def test_an_async_view_s_locals_are_taken_after_its_coroutine_ended():
    with capture_traces() as traces:
        Client(raise_request_exception=False).get("/async-crash/")
    innermost = traces[0].errors[0].stack_trace[-1]
    assert innermost["function"] == "async_crash_view"
    assert innermost["locals"]["basket"] == "['lamp', 'tent']"


def test_a_logged_exception_has_its_frames_locals_scrubbed(real_recorder):
    error = stored_error("/card-crash/?log=1", real_recorder)
    assert error.message == "charge failed for order 7"
    view = frame_of(error, "card_crash_view")["locals"]
    assert view["password"] == "[Filtered]" and view["card"] == "'[Filtered card]'"
    assert frame_of(error, "_charge")["locals"]["amount"] == "12.5"
