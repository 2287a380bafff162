"""A user's dashboard configuration: widgets, default window, thresholds."""

from rest_framework import serializers

from flowscope.analysis.performance import METRICS
from flowscope.models import DashboardConfiguration


class ThresholdRuleSerializer(serializers.Serializer):
    warning = serializers.FloatField(required=False, min_value=0)
    critical = serializers.FloatField(required=False, min_value=0)
    above = serializers.BooleanField(required=False)


class DashboardConfigurationSerializer(serializers.ModelSerializer):
    widgets = serializers.ListField(
        child=serializers.ChoiceField(DashboardConfiguration.WIDGETS),
        required=False,
        max_length=len(DashboardConfiguration.WIDGETS),
    )
    thresholds = serializers.DictField(child=ThresholdRuleSerializer(), required=False)
    refresh_interval = serializers.IntegerField(min_value=1, max_value=3600, required=False)

    class Meta:
        model = DashboardConfiguration
        fields = [
            "id",
            "name",
            "refresh_interval",
            "widgets",
            "default_window",
            "thresholds",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_thresholds(self, thresholds):
        unknown = sorted(set(thresholds) - set(METRICS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown metric(s) {', '.join(unknown)}; use {', '.join(METRICS)}."
            )
        for metric, rule in thresholds.items():
            above = rule.get("above", metric != "cache_hit_ratio")
            low, high = rule.get("warning"), rule.get("critical")
            if low is not None and high is not None and (low > high if above else low < high):
                raise serializers.ValidationError(
                    f"{metric}: 'critical' must be past 'warning' in the direction of worse."
                )
        return thresholds

    def validate_name(self, name):
        user = self.context["request"].user
        taken = DashboardConfiguration.objects.filter(user=user, name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("You already have a configuration of that name.")
        return name
