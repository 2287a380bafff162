"""A user's dashboard configuration: widgets, default window, thresholds."""

import itertools

from rest_framework import serializers

from flowscope.analysis.performance import METRICS
from flowscope.conf import DEFAULTS
from flowscope.json_types import JsonTypesMixin
from flowscope.models import DashboardConfiguration
from flowscope.thresholds import LEVELS, effective_thresholds, levels_of

# Every metric a threshold judges: the rollups' and the recommendation rules' own.
THRESHOLD_METRICS = tuple(dict.fromkeys([*METRICS, *DEFAULTS["THRESHOLDS"]]))


class ThresholdRuleSerializer(JsonTypesMixin, serializers.Serializer):
    """Levels of one metric; ``null`` turns a level off."""

    info = serializers.FloatField(required=False, min_value=0, allow_null=True)
    warning = serializers.FloatField(required=False, min_value=0, allow_null=True)
    critical = serializers.FloatField(required=False, min_value=0, allow_null=True)
    above = serializers.BooleanField(required=False)

    def to_representation(self, instance):
        """The levels set, and only those: an absent level is the layer below's, while
        ``null`` turns it off, so a read written back must not turn a level into null."""
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if key in instance}


class DashboardConfigurationSerializer(JsonTypesMixin, serializers.ModelSerializer):
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
        unknown = sorted(set(thresholds) - set(THRESHOLD_METRICS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown metric(s) {', '.join(unknown)}; use {', '.join(THRESHOLD_METRICS)}."
            )
        for metric, rule in thresholds.items():
            problem = self.misordered(metric, levels_of(metric, {metric: rule}), rule)
            if problem:
                raise serializers.ValidationError({metric: problem})
        return thresholds

    @staticmethod
    def misordered(metric, levels, rule):
        """Each level must be past the milder one in the direction of worse, as the levels
        will be once merged over the settings. The error is keyed by the level the request
        set (``{"warning": [..]}``), so that a form can show it beside that field."""
        above = levels.get("above", True)
        named = [(n, levels[n]) for n in reversed(LEVELS) if levels.get(n) is not None]
        for (milder, low), (worse, high) in itertools.pairwise(named):
            if low > high if above else low < high:
                level = worse if worse in rule else milder
                past = f"'{worse}' ({high:g}) must be past '{milder}' ({low:g})"
                return {level: [f"{metric}: {past} in the direction of worse."]}
        return None

    def validate_name(self, name):
        user = self.context["request"].user
        taken = DashboardConfiguration.objects.filter(user=user, name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("You already have a configuration of that name.")
        return name


class ConfigurationDefaultsSerializer(serializers.Serializer):
    """What a configuration holds when it sets nothing: the thresholds are the project's
    (flowscope's defaults under ``FLOWSCOPE["THRESHOLDS"]``), which a configuration's own
    levels override level by level."""

    refresh_interval = serializers.IntegerField()
    widgets = serializers.ListField(child=serializers.ChoiceField(DashboardConfiguration.WIDGETS))
    default_window = serializers.ChoiceField(DashboardConfiguration.Window.choices)
    thresholds = serializers.DictField(child=ThresholdRuleSerializer())

    @staticmethod
    def defaults():
        fields = DashboardConfiguration._meta
        return {
            "refresh_interval": fields.get_field("refresh_interval").default,
            "widgets": list(DashboardConfiguration.WIDGETS),
            "default_window": fields.get_field("default_window").default,
            "thresholds": effective_thresholds(),
        }
