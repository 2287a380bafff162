"""The alert history over the API: what fired, the value that fired and where it was sent."""

from rest_framework import serializers

from flowscope.models import AlertEvent


class DeliverySerializer(serializers.Serializer):
    destination = serializers.ChoiceField(["email", "webhook"])
    target = serializers.CharField(help_text="The addresses, or the webhook's host.")
    status = serializers.ChoiceField(AlertEvent.Delivery.choices)
    attempts = serializers.IntegerField(min_value=0)
    error = serializers.CharField(required=False, help_text="Why the last attempt failed.")


class AlertEventSerializer(serializers.ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)
    details = serializers.DictField(read_only=True)

    class Meta:
        model = AlertEvent
        fields = ["id", "rule", "kind", "subject", "message", "value", "threshold", "unit",
                  "details", "first_fired_at", "last_fired_at", "repeats",
                  "deliveries"]  # fmt: skip
        extra_kwargs = {
            "value": {"help_text": "The value that fired (a p95, a rate as a fraction)."},
            "unit": {"help_text": "ms, bytes, queries, errors, or ratio (shown as %)."},
            "repeats": {"help_text": "Firings within the cooldown after the one sent."},
        }
