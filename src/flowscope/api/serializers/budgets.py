"""Latency budgets over the API: per budgeted workflow type, the budget used over a window."""

from rest_framework import serializers

from flowscope.analysis.budget_settings import LAYERS
from flowscope.analysis.budgets import TOTAL
from flowscope.analysis.windows import WINDOWS

NAMES = (TOTAL, *LAYERS)
KINDS = (TOTAL, "layer", "step")


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


class StepBudgetLineSerializer(BudgetLineSerializer):
    name = serializers.CharField(
        help_text='The step budgeted, as FLOWSCOPE["BUDGETS"] names it: a step\'s name, or '
        '"layer: name" for that layer\'s steps of the name only.'
    )
    p95_ms = serializers.FloatField(
        allow_null=True,
        help_text="p95 over the workflows of the window that have the step, of the self time "
        "of each one's steps of that name, summed. Null: none had it.",
    )
    workflows = serializers.IntegerField(help_text="How many of the sampled had the step.")


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
    steps = StepBudgetLineSerializer(many=True)
    over = serializers.ListField(
        child=serializers.CharField(),
        help_text='What went over its budget: "total", layers, then steps, by name.',
    )


class OverBudgetSerializer(serializers.Serializer):
    workflow_type = serializers.CharField()
    kind = serializers.ChoiceField(KINDS, help_text="What the line budgets.")
    name = serializers.CharField(help_text='"total", the layer or the step.')
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
