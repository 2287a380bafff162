"""The drop-off funnel over the API: each step's journeys and what those that stopped there
met."""

from rest_framework import serializers

from flowscope.analysis import funnel
from flowscope.analysis.windows import WINDOWS
from flowscope.models import Layer


class DropErrorSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(help_text="Its error group (errors/?fingerprint=).")
    error_type = serializers.CharField()
    message = serializers.CharField(allow_blank=True, help_text="Of its latest occurrence.")
    count = serializers.IntegerField(help_text="Occurrences in the stopped journeys.")
    journeys = serializers.IntegerField(help_text="Stopped journeys it happened in.")
    latest_id = serializers.IntegerField(help_text="Its latest occurrence (errors/<id>/).")


class DropStepSerializer(serializers.Serializer):
    layer = serializers.ChoiceField(Layer.choices)
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Times it ran in the stopped journeys.")
    p95_ms = serializers.FloatField()


class FunnelStepSerializer(serializers.Serializer):
    workflow_type = serializers.CharField()
    reached = serializers.IntegerField(
        help_text="Journeys with a completed workflow of this type and of every step before."
    )
    conversion = serializers.FloatField(
        allow_null=True,
        help_text="Reached / reached the step before (the first step: / started); null "
        "when none reached the step before.",
    )
    of_started = serializers.FloatField(
        allow_null=True, help_text="Reached / started the funnel; null when none started."
    )
    stopped = serializers.IntegerField(help_text="Reached the step before, not this one.")
    errors = DropErrorSerializer(
        many=True, help_text=f"The {funnel.TOP} error groups of the stopped journeys, by count."
    )
    slowest_steps = DropStepSerializer(
        many=True, help_text=f"The {funnel.TOP} slowest steps of the stopped journeys, by p95."
    )


class FunnelSerializer(serializers.Serializer):
    window = serializers.ChoiceField(list(WINDOWS))
    started = serializers.IntegerField(
        help_text="Journeys with a workflow of the first step's type in the window."
    )
    steps = FunnelStepSerializer(many=True)
