"""Requests read as JSON: each value of the JSON type its serializer field promises (and
the OpenAPI schema says), not converted. DRF reads "12" as a number, 1 as a string and
"yes" as true; here each is a 400 naming the field."""

from rest_framework import serializers

# The JSON types each kind of field reads (the first kind a field is wins).
JSON_TYPES = (
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "a whole number"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.DateTimeField, (str,), "a string"),
    (serializers.ListField, (list,), "a list"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.Serializer, (dict,), "an object"),
)


class JsonTypesMixin:
    """For serializers that read a JSON request: each value must be of its field's JSON
    type (a 400 naming the field), before DRF's own conversions."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            wrong = {
                name: [f"Must be {expected}."]
                for name, field in self.fields.items()
                if name in data and (expected := mistyped(field, data[name]))
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


def mistyped(field, value):
    """What ``value`` should have been for ``field``, or None when it is of the right type."""
    if field.read_only or (value is None and field.allow_null):
        return None
    for kind, types, expected in JSON_TYPES:
        if isinstance(field, kind):
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                return expected
            return mistyped_item(field, value)
    return None


def mistyped_item(field, value):
    """For a list or an object of values of one kind: what one of them should have been."""
    if not isinstance(field, serializers.ListField | serializers.DictField):
        return None
    items = value if isinstance(value, list) else value.values()
    problem = next(filter(None, (mistyped(field.child, item) for item in items)), None)
    return problem and f"{expected_of(field)} of which each is {problem}"


def expected_of(field):
    return "a list" if isinstance(field, serializers.ListField) else "an object"
