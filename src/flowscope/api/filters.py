"""Query parameters shared by the dashboard API's views: times, windows, numbers and
booleans. A parameter that is given must be valid, blank included: a value the API cannot
read is a 400 naming it, never silently ignored."""

from datetime import UTC

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import fields
from rest_framework.exceptions import ValidationError

from flowscope.analysis import windows
from flowscope.models import TraceStep

# What django-filter's NumberFilter accepts (it refuses numbers over 1e50), in the schema.
NUMBER_FILTER = {"type": "number", "maximum": 1e50}
ROUTE_LABEL = "a request of the workflow: 'POST /api/v1/orders/checkout/' or a route pattern"


def duration_filter(field_name, lookup_expr):
    return extend_schema_field(NUMBER_FILTER)(
        django_filters.NumberFilter(field_name=field_name, lookup_expr=lookup_expr)
    )


def requests_of_route(route, workflow):
    """The API steps of ``workflow`` (an ``OuterRef``) that served ``route``: a route with
    its method names one request; a pattern alone, any method of it."""
    named = {"name": route} if " " in route else {"name__endswith": f" {route}"}
    return TraceStep.objects.filter(workflow=workflow, layer="api", **named)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601, compared in UTC: an exotic offset (-19:30) is valid ISO but not a valid
    time zone for PostgreSQL."""

    def filter(self, queryset, value):
        return super().filter(queryset, value.astimezone(UTC) if value else value)


class StrictQueryForm(forms.Form):
    """The form of a ``StrictFilterSet``: django-filter skips a filter whose value is blank
    (``?status=``, ``?route=``) or, for booleans, unreadable (``?resolved=null``); this
    refuses them."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            raw = self.data.get(name)
            if raw is None or name in self.errors:
                continue
            if isinstance(field, forms.NullBooleanField):
                cleaned[name] = read_boolean(raw)  # "1" and "yes" too, as DRF reads them
                if cleaned[name] is None:
                    self.add_error(name, BOOLEAN_EXPECTED)
            elif raw == "":
                self.add_error(name, "May not be blank; leave the parameter out instead.")
        return cleaned


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet whose parameters, once given, must be valid (``StrictQueryForm``)."""

    refuses_blank = True  # the schema says so (``FlowscopeAutoSchema``)

    def get_form_class(self):
        form = super().get_form_class()
        return type(form.__name__, (StrictQueryForm, form), {})


BOOLEAN_EXPECTED = "Use true or false."


def read_boolean(raw):
    """``raw`` as DRF reads a boolean (true/false, 1/0, yes/no, on/off), or None."""
    try:
        return fields.BooleanField().to_internal_value(raw)
    except ValidationError:
        return None


def query_boolean(request, name, default):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = read_boolean(raw)
    if value is None:
        raise ValidationError({name: [BOOLEAN_EXPECTED]})
    return value


def query_positive_integer(request, name, default):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValidationError({name: ["A whole number, 1 or more."]})
    return int(raw)


def requested_window(request):
    """The window named by ``?window=``, or None for the user's default; an unknown name
    (blank included) is a 400 on ``window``."""
    name = request.query_params.get("window")
    if name is not None and name not in windows.WINDOWS:
        raise ValidationError({"window": [str(windows.UnknownWindow(name))]})
    return name
