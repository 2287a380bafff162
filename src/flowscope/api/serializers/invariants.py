"""Invariants over the API: each rule with its violations over a window, and one
workflow's check."""

from rest_framework import serializers

from flowscope.analysis.windows import WINDOWS
from flowscope.invariants.rules import KINDS, STATUSES


class InvariantRuleSerializer(serializers.Serializer):
    workflow_type = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(KINDS, allow_null=True, help_text="Null: no longer configured.")
    when = serializers.ListField(child=serializers.ChoiceField(STATUSES))
    configured = serializers.BooleanField(help_text="False: broken in the window, since removed.")
    checked = serializers.IntegerField(
        help_text="Workflows of its type checked in the window (the rule applied to those "
        "that ended in a status of its 'when')."
    )
    violations = serializers.IntegerField(help_text="Workflows that broke it in the window.")
    last_violated_at = serializers.DateTimeField(allow_null=True)
    fingerprint = serializers.CharField(help_text="Its error group (errors/?fingerprint=).")
    latest_error_id = serializers.IntegerField(allow_null=True)
    latest_message = serializers.CharField(allow_blank=True)


class InvariantsSerializer(serializers.Serializer):
    window = serializers.ChoiceField(list(WINDOWS))
    rules = InvariantRuleSerializer(many=True)


class BrokenRuleSerializer(serializers.Serializer):
    rule = serializers.CharField()
    error_id = serializers.IntegerField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class WorkflowInvariantsSerializer(serializers.Serializer):
    checked_at = serializers.DateTimeField()
    status = serializers.ChoiceField(STATUSES, help_text="The status it was checked in.")
    rules = serializers.ListField(child=serializers.CharField(), help_text="Rules that applied.")
    violated = BrokenRuleSerializer(many=True)
