"""A query's call site: the line of the host's own code that ran it, else the line of the
installed package that did (a CMS's queries), marked as library code."""

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from flowscope.capture import context
from flowscope.records.frames import call_site_dict
from flowscope.records.trace import Span, Trace
from flowscope.testing import capture_traces

pytestmark = pytest.mark.django_db(transaction=True)

# A package as pip installs it, with its own pages and queries.
PACKAGE_URLS = """\
from django.contrib.auth import get_user_model
from django.contrib.auth.views import LogoutView
from django.http import JsonResponse
from django.urls import path


def count_editors():
    return get_user_model().objects.filter(is_staff=True).count()


def page_list(request):
    return JsonResponse({"editors": count_editors()})


urlpatterns = [
    path("pages/", page_list),
    path("logout/", LogoutView.as_view(next_page="/pages/")),
]
"""


@pytest.fixture
def installed_package(tmp_path, monkeypatch):
    """``shelfcms``, under a site-packages folder of its own on ``sys.path``."""
    package = tmp_path / "site-packages" / "shelfcms"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "urls.py").write_text(PACKAGE_URLS)
    monkeypatch.syspath_prepend(str(package.parent))
    yield
    for name in ("shelfcms.urls", "shelfcms"):
        sys.modules.pop(name, None)


def served_alone(path, method="get", client=None):
    """``path`` served in a thread of its own, as a server would: no frame of this test's
    code is on the stack (the thread runs the test client's own method)."""
    with ThreadPoolExecutor(1) as pool:
        serve = getattr(client or Client(), method)
        response = pool.submit(serve, path).result(timeout=60)
        pool.submit(connections.close_all).result(timeout=60)  # the thread's own
    return response


def test_a_query_run_by_an_installed_package_names_its_line_as_library_code(
    installed_package, settings
):
    settings.ROOT_URLCONF = "shelfcms.urls"
    with capture_traces() as traces:
        assert served_alone("/pages/").json() == {"editors": 0}
    (query,) = [span for span in traces[0].spans if span.layer == "database"]
    assert query.metadata["call_site"] == {
        "file": "shelfcms/urls.py",
        "line": 8,
        "function": "count_editors",
        "in_app": False,
    }


def test_djangos_own_session_and_auth_queries_name_djangos_lines(
    installed_package, settings, django_user_model
):
    settings.ROOT_URLCONF = "shelfcms.urls"
    client = Client()
    client.force_login(django_user_model.objects.create_user("editor"))
    with capture_traces() as traces:
        assert served_alone("/logout/", "post", client).status_code == 302
    sites = {
        (site["file"], site["function"], site["in_app"])
        for span in traces[0].spans
        if span.layer == "database"
        for site in [span.metadata["call_site"]]
    }
    assert sites == {
        ("django/contrib/sessions/backends/db.py", "_get_session_from_db", False),
        ("django/contrib/auth/backends.py", "get_user", False),
        ("django/contrib/sessions/backends/db.py", "delete", False),
    }


def test_the_host_line_wins_over_the_package_it_called(installed_package):
    from shelfcms.urls import count_editors

    trace = Trace(correlation_id="wf-1", trace_id="0" * 32, root=Span("api", "GET /x/"))
    tokens = context.activate(trace)
    try:
        count_editors()  # the host's own line: the call site
    finally:
        context.deactivate(tokens)
    (query,) = trace.spans
    site = call_site_dict(query.call_site)
    assert (site["function"], site["in_app"]) == (
        "test_the_host_line_wins_over_the_package_it_called",
        True,
    )
    assert site["file"] == "tests/flowscope/capture/test_call_sites.py"
