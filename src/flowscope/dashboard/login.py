"""Flowscope's own login page, at ``login/`` under the mount (so never traced).

Only an account the access policy lets watch the dashboard signs in here: anyone else gets
the answer a wrong password gets and stays signed out, so the page and the login never send
each other back and forth. A staff user already signed in goes straight on to
``next`` (the dashboard by default). Failed sign-ins are limited per address
(``login_attempts``).
"""

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.urls import reverse

from flowscope.access import may_watch
from flowscope.dashboard.login_attempts import FailedLogins
from flowscope.page_policy import content_security_policy

# One answer for a wrong password and for an account that may not watch, as the admin's
# login gives: a different one would tell a guesser that a customer's password was right.
REFUSED = (
    "Please enter the correct %(username)s and password of a staff account. "
    "Note that both fields may be case-sensitive."
)


class StaffAuthenticationForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": REFUSED}

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not may_watch(user):
            raise self.get_invalid_login_error()


class DashboardLoginView(LoginView):
    template_name = "flowscope/dashboard/login.html"
    authentication_form = StaffAuthenticationForm

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and may_watch(request.user):
            return redirect(self.get_success_url())
        response = super().dispatch(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(request)
        return response

    def post(self, request, *args, **kwargs):
        wait = FailedLogins(request).seconds_locked()
        if wait:
            minutes = max(round(wait / 60), 1)
            locked = f"Too many failed sign-ins from here: try again in {minutes} min."
            context = self.get_context_data(locked_out=locked)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        FailedLogins(self.request).count()
        return super().form_invalid(form)

    def get_default_redirect_url(self):
        return reverse(f"{self.request.resolver_match.namespace}:page")

    def get_context_data(self, **kwargs):
        user = self.request.user
        # Signed in, but not someone who may watch: say so rather than only ask again.
        signed_in_as = user.get_username() if user.is_authenticated else ""
        return {**super().get_context_data(**kwargs), "signed_in_as": signed_in_as}
