"""Serializer building blocks every app's API shares.

Serializers describe shapes only; the rules live in services (STYLE.md).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping

from django.db import models
from rest_framework import serializers

from navigator.fields import REASON_MAX_LENGTH

# The largest id PostgreSQL's bigint holds: bigger "ids" are bad input, not a
# database overflow.
MAX_ID = 2**63 - 1


class StrictFieldsMixin:
    """Reject keys the serializer does not know, naming them.

    DRF silently drops unknown keys, so a misspelt field ("firstname") would
    be lost without a word. Read-only fields are known: a client may send back
    what it read (GET, edit, PUT) and they are ignored, as DRF documents.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` / ``false`` only.

    DRF also takes 0, 1, "yes", "off"…; for consent flags and "police backup
    needed" a client sending ``"no"`` by mistake should hear about it rather
    than have it guessed.
    """

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A ModelSerializer that names unknown keys and takes only JSON booleans."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
    }


class ChoiceListField(serializers.ListField):
    """A list of choice values, with one error naming every unknown value.

    A ``ListField(child=ChoiceField())`` would report ``concerns.0``; clients
    want ``concerns`` and the allowed values.
    """

    def __init__(self, *, choices: type[models.TextChoices], **kwargs) -> None:
        self.choices_class = choices
        kwargs.setdefault("child", serializers.ChoiceField(choices=choices.choices))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str | Mapping) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        allowed = set(self.choices_class.values)
        unknown = [str(v) for v in data if not isinstance(v, str) or v not in allowed]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown choice(s): {', '.join(unknown)}. "
                f"Allowed: {', '.join(sorted(allowed))}.",
                code="invalid_choice",
            )
        return list(data)


class RelatedNamesField(serializers.ListField):
    """Names of related rows (a person's aliases) read as a list of strings.

    Reads go through ``.all()`` so a ``prefetch_related`` is used. The names'
    length is the related model field's.
    """

    def __init__(self, *, model_field, **kwargs) -> None:
        self.attribute = model_field.attname
        kwargs.setdefault(
            "child",
            serializers.CharField(max_length=model_field.max_length, allow_blank=False),
        )
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [getattr(row, self.attribute) for row in data.all()]


class RelatedIdsField(serializers.ListField):
    """Ids of many-to-many rows (an encounter's navigators) in and out."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "child", serializers.IntegerField(min_value=1, max_value=MAX_ID)
        )
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [row.pk for row in data.all()]


class CoordinateField(serializers.DecimalField):
    """Latitude / longitude; extra decimals are rounded, not refused.

    Phones report 15 decimals; 6 (about 10 cm) is all we store.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 6)
        kwargs.setdefault("coerce_to_string", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def validate_precision(self, value: decimal.Decimal) -> decimal.Decimal:
        # Checked before rounding: quantizing 1e100 would overflow the context.
        if value.adjusted() >= 3:
            self.fail("max_whole_digits", max_whole_digits=self.max_whole_digits)
        step = decimal.Decimal(1).scaleb(-self.decimal_places)
        return super().validate_precision(
            value.quantize(step, rounding=decimal.ROUND_HALF_EVEN)
        )


class ReasonSerializer(StrictSerializer):
    """Why a record is deleted or restored; it goes into the audit log."""

    reason = serializers.CharField(max_length=REASON_MAX_LENGTH, trim_whitespace=True)


class OptionalReasonSerializer(StrictSerializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH,
        trim_whitespace=True,
        required=False,
        allow_blank=True,
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape (DESIGN.md), for the OpenAPI schema."""

    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field name; empty when no field is to blame.",
    )
