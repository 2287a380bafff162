"""The dashboard page. Who may see it is decided by the same ``PERMISSION_CLASSES`` as the
API and the sockets; whoever may not watch is sent to the login page (flowscope's own,
``login.py``, unless ``FLOWSCOPE["LOGIN_URL"]`` names another).

The page is a shell: everything it shows is read by its ES modules from the REST API and
the WebSockets, so there is one source of truth for what the dashboard knows. It has no
inline script or style, so its Content-Security-Policy allows neither.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.handlers.wsgi import WSGIRequest
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.urls import get_script_prefix, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from flowscope import mount, prerequisites
from flowscope.access import may_watch
from flowscope.conf import flowscope_settings
from flowscope.page_policy import content_security_policy

SECTIONS = [
    ("overview", "Overview"),
    ("workflows", "Workflows"),
    ("errors", "Errors"),
    ("funnel", "Funnel"),
    ("performance", "Performance"),
    ("releases", "Releases"),
    ("budgets", "Budgets"),
    ("testing", "Testing"),
    ("reports", "Reports"),
    ("alerts", "Alerts"),
    ("settings", "Settings"),
]


def login_url(request):
    """``FLOWSCOPE["LOGIN_URL"]`` when the host names one (its single sign-on), else
    flowscope's own login page beside this page. The host's ``LOGIN_URL`` is not used:
    it is usually its customers' login, which knows nothing of staff."""
    configured = flowscope_settings.LOGIN_URL
    if configured:
        return resolve_url(configured)
    return reverse(f"{request.resolver_match.namespace}:login")


def page_roots(request):
    """Where the page finds the API and the sockets: beside itself when it is served by the
    one include (``flowscope.urls``); for the page's own include of earlier releases, at
    the default mount of ``flowscope.urls`` and the sockets' address of those releases."""
    if request.resolver_match.app_names[-1:] == [mount.APP_NAME]:
        return request.path, f"{request.path}ws/"
    script_prefix = get_script_prefix()
    return reverse("flowscope:page"), script_prefix + mount.LEGACY_SOCKETS.removeprefix("/")


def uses_websockets(request):
    """Under WSGI (runserver, gunicorn) there are no sockets: the page polls the API."""
    wanted = flowscope_settings.WEBSOCKETS
    return not isinstance(request, WSGIRequest) if wanted is None else bool(wanted)


@method_decorator(never_cache, name="dispatch")
class DashboardPageView(TemplateView):
    template_name = "flowscope/dashboard/page.html"

    def dispatch(self, request, *args, **kwargs):
        if not may_watch(request.user):
            return self.refuse(request)
        response = super().dispatch(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(request)
        return response

    def refuse(self, request):
        """To the login page: anonymous visitors, and signed-in users who may not watch
        when the login is flowscope's own (it tells them why). A host's own login might
        send a signed-in user straight back here: they get a 403 instead."""
        if request.user.is_authenticated and flowscope_settings.LOGIN_URL:
            raise PermissionDenied("The debugging dashboard is for staff.")
        return redirect_to_login(request.get_full_path(), login_url(request))

    def get_context_data(self, **kwargs):
        api_root, socket_root = page_roots(self.request)
        return {
            **super().get_context_data(**kwargs),
            "sections": SECTIONS,
            "api_root": api_root,
            "socket_root": socket_root,
            "live": "websocket" if uses_websockets(self.request) else "poll",
            "csrf_token_value": get_token(self.request),
            "username": self.request.user.get_username(),
            "login_url": login_url(self.request),
            "docs_url": flowscope_settings.DOCS_URL or "",
            # What the host left out: the page says so rather than fail on it.
            "live_updates_off": prerequisites.live_updates(),
            "api_docs_off": prerequisites.api_docs(),
        }
