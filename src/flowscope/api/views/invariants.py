"""The invariants of ``FLOWSCOPE["INVARIANTS"]`` with their violations over a window:
one entry per rule, configured ones first (a rule broken in the window and since removed
is listed too, so that its errors are not orphaned)."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from flowscope.analysis import invariants, windows
from flowscope.api.access import DashboardAPIView
from flowscope.api.filters import requested_window
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.invariants import InvariantsSerializer
from flowscope.invariants.checking import fingerprint, rulebook


class InvariantsView(DashboardAPIView):
    """Each rule: workflows of its type checked, workflows that broke it, its error group."""

    @extend_schema(
        parameters=[OpenApiParameter("window", str, enum=list(windows.WINDOWS))],
        responses=InvariantsSerializer,
    )
    def get(self, request):
        name, since, until = windows.window(requested_window(request))
        found = invariants.violations(since, until)
        checked = invariants.checked_per_type(since, until)
        rules = [
            _entry(rule, found.pop(fingerprint(rule.workflow_type, rule.name), None), checked)
            for workflow_rules in rulebook().values()
            for rule in workflow_rules
        ]
        rules += [_removed(group, checked) for group in found.values()]
        return Response(InvariantsSerializer({"window": name, "rules": rules}).data)


def _entry(rule, group, checked):
    return {
        "workflow_type": rule.workflow_type,
        "name": rule.name,
        "kind": rule.kind,
        "when": list(rule.when),
        "configured": True,
        "checked": checked.get(rule.workflow_type, 0),
        "fingerprint": fingerprint(rule.workflow_type, rule.name),
        **_violations(group),
    }


def _removed(group, checked):
    said = invariants.rule_of(group["latest"])
    workflow_type = said.get("workflow_type", "")
    return {
        "workflow_type": workflow_type,
        "name": said.get("rule", ""),
        "kind": None,
        "when": [],
        "configured": False,
        "checked": checked.get(workflow_type, 0),
        "fingerprint": group["fingerprint"],
        **_violations(group),
    }


def _violations(group):
    if group is None:
        return {"violations": 0, "last_violated_at": None, "latest_error_id": None,
                "latest_message": ""}  # fmt: skip
    return {
        "violations": group["workflows"],
        "last_violated_at": group["last_seen"],
        "latest_error_id": group["latest"].pk,
        "latest_message": group["latest"].message,
    }
