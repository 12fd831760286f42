"""Serializer building blocks every app's API shares.

Serializers describe shapes only; the rules live in services (STYLE.md).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models
from rest_framework import serializers

from navigator.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictDecimalField,
    StrictEmailField,
    StrictIntegerField,
)
from navigator.fields import REASON_MAX_LENGTH

# The largest id PostgreSQL's bigint holds: bigger "ids" are bad input, not a
# database overflow.
MAX_ID = 2**63 - 1


READ_ONLY_MESSAGE = "Read-only field; it cannot be set."

if TYPE_CHECKING:
    # What StrictFieldsMixin is mixed into, so mypy knows self and super().
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object


class StrictFieldsMixin(_SerializerBase):
    """A request body holds only the fields one may send; anything else is a
    400 naming the field (docs/decisions/0007-api-input-rules.md).

    DRF silently drops unknown keys, so a misspelt field ("firstname") would
    be lost without a word; and it ignores read-only ones, so
    ``PATCH {"status": "completed"}`` on a follow-up answered 200 and changed
    nothing. ``read_only_hints`` says, per read-only field, how it does change.
    """

    read_only_hints: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                str(key): ["Unknown field."] for key in data if key not in self.fields
            }
            errors |= {
                key: [self._read_only_message(key)]
                for key in data
                if key in self.fields and self.fields[key].read_only
            }
            if errors:
                raise serializers.ValidationError(
                    dict(sorted(errors.items())), code="not_writable"
                )
        return super().to_internal_value(data)

    def _read_only_message(self, name: str) -> str:
        hint = self.read_only_hints.get(name)
        return f"Read-only field; {hint}." if hint else READ_ONLY_MESSAGE


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A ModelSerializer whose fields take JSON values of their own type only."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.DecimalField: StrictDecimalField,
        models.DateTimeField: StrictDateTimeField,
        models.DateField: StrictDateField,
    }
    serializer_choice_field = StrictChoiceField


class ChoiceListField(serializers.ListField):
    """A list of distinct choice values, with one error naming every unknown
    value.

    A ``ListField(child=ChoiceField())`` would report ``concerns.0``; clients
    want ``concerns`` and the allowed values. Each choice at most once (as the
    model's ChoiceListValidator wants), so the list is bounded by the number
    of choices; the schema says both (``maxItems``, ``uniqueItems``).
    """

    def __init__(self, *, choices: type[models.TextChoices], **kwargs) -> None:
        self.choices_class = choices
        kwargs.setdefault("child", StrictChoiceField(choices=choices.choices))
        kwargs.setdefault("max_length", len(choices.values))
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
        if len(set(data)) != len(data):
            raise serializers.ValidationError(
                "A choice is listed twice.", code="duplicate"
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
            StrictCharField(max_length=model_field.max_length, allow_blank=False),
        )
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [getattr(row, self.attribute) for row in data.all()]


class RelatedIdsField(serializers.ListField):
    """Ids of many-to-many rows (an encounter's navigators) in and out."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("child", StrictIntegerField(min_value=1, max_value=MAX_ID))
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [row.pk for row in data.all()]


class CoordinateField(StrictDecimalField):
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

    decimal_places: int  # __init__ always gives one (6 unless told)

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

    reason = StrictCharField(max_length=REASON_MAX_LENGTH, trim_whitespace=True)


class OptionalReasonSerializer(StrictSerializer):
    reason = StrictCharField(
        max_length=REASON_MAX_LENGTH,
        trim_whitespace=True,
        required=False,
        allow_blank=True,
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape (DESIGN.md), for the OpenAPI schema."""

    detail = serializers.CharField()
    code = serializers.CharField()
    # SerializerMetaclass moves declared fields out of the class body, so this
    # names a field of the schema and does not replace Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field name; empty when no field is to blame.",
    )
