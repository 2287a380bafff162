"""Views running the queries whose parameters and plans the SQL tests look at, with
flowscope's API mounted beside them; ``store_requests`` traces requests to them and stores
what the writer would."""

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.test import Client
from django.urls import include, path

from flowscope.models import TraceStep
from flowscope.recording import writer
from flowscope.testing import capture_traces

# A Visa test number (passes Luhn) and a plain password written into a password column.
CARD = "4111111111111111"
PLAIN_PASSWORD = "plain-Secret-71"


def sign_up(request):
    """An INSERT and an UPDATE of the password column, and a SELECT by it."""
    users = get_user_model().objects
    user = users.create(username="sql-carol", password=PLAIN_PASSWORD, email="c@example.com")
    users.filter(pk=user.pk).update(password=PLAIN_PASSWORD + "-2")
    users.filter(password=PLAIN_PASSWORD + "-2").exists()
    return JsonResponse({"id": user.pk})


def look_up(request):
    """SELECTs: by user name, and by a card number in a column not named for it."""
    users = get_user_model().objects
    users.filter(username="alice").first()
    users.filter(first_name=f"paid with {CARD}").exists()
    return JsonResponse({"ok": True})


def stacked(request):
    """A SELECT with a DELETE stacked behind it (SQLite and MySQL refuse to run it)."""
    try:  # in a savepoint: a refused statement leaves the request's transaction usable
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1; DELETE FROM auth_user WHERE id = -1")
    except DatabaseError:
        pass
    return JsonResponse({"ok": True})


urlpatterns = [
    path("sign-up/", sign_up),
    path("look-up/", look_up),
    path("stacked/", stacked),
    path("debugging/", include("flowscope.urls")),
]


def store_requests(*paths):
    """The database steps of GET requests to ``paths``, traced, prepared and stored."""
    with capture_traces() as traces:
        for url in paths:
            assert Client().get(url).status_code == 200, url
    writer.write(list(traces))
    return TraceStep.objects.filter(layer="database")
