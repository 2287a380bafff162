"""Latency budgets over the API: per budgeted workflow type, the budget used over a window."""

from rest_framework import serializers

from flowscope.analysis.budget_settings import LAYERS
from flowscope.analysis.budgets import TOTAL
from flowscope.analysis.windows import WINDOWS

NAMES = (TOTAL, *LAYERS)


class BudgetLineSerializer(serializers.Serializer):
    name = serializers.ChoiceField(NAMES, help_text='"total", or the layer budgeted.')
    budget_ms = serializers.FloatField()
    p95_ms = serializers.FloatField(
        allow_null=True,
        help_text="p95 over the workflows of the window: of their durations (total), or of "
        "each one's self time in the layer (0 ms without a step there). Null: none ended.",
    )
    used_percent = serializers.FloatField(allow_null=True, help_text="p95 / budget, in %.")
    over = serializers.BooleanField()


class BudgetUsageSerializer(serializers.Serializer):
    workflow_type = serializers.CharField()
    workflows = serializers.IntegerField(
        help_text="Real workflows of the type that started in the window and completed or failed."
    )
    sampled = serializers.IntegerField(
        help_text="The latest of them the p95s are taken over (at most 500)."
    )
    total = BudgetLineSerializer(allow_null=True, help_text="Null: no total budget.")
    layers = BudgetLineSerializer(many=True)
    over = serializers.ListField(
        child=serializers.ChoiceField(NAMES), help_text="What went over its budget."
    )


class OverBudgetSerializer(serializers.Serializer):
    workflow_type = serializers.CharField()
    name = serializers.ChoiceField(NAMES)
    p95_ms = serializers.FloatField()
    budget_ms = serializers.FloatField()
    used_percent = serializers.FloatField()


class BudgetsSerializer(serializers.Serializer):
    window = serializers.ChoiceField(list(WINDOWS))
    budgets = BudgetUsageSerializer(many=True)
    over_budget = OverBudgetSerializer(many=True, help_text="What went over, most over first.")
    configuration_error = serializers.CharField(
        allow_null=True,
        help_text="Why FLOWSCOPE['BUDGETS'] cannot be read (no budgets are shown), or null.",
    )
