"""Request fields that take a JSON value only in the type the schema gives.

DRF coerces: ``"narrative": 0`` was stored as ``"0"``, ``{"name": 5}`` as an
officer named "5", ``"remind_person": "yes"`` as true, ``"program": "3"`` as
3. A client that sends the wrong type has a bug, and health data should not
be stored on a guess: each field here refuses what its schema type does not
describe, with DRF's own "invalid" message, naming the field.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

if TYPE_CHECKING:
    # What the mixins below are mixed into, so mypy knows self and super().
    _CharFieldBase = serializers.CharField
else:
    _CharFieldBase = object

# ISO 8601 as the API takes it: a date, a time to the minute, optional
# seconds and fraction, optional offset (without one: the program's zone, so
# not RFC 3339's date-time, which requires it). [0-9], not \d: Python's \d
# also matches other scripts' digits. The schema publishes the same pattern.
ISO_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}"
    r"(:[0-9]{2}(\.[0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class _StringsOnly(_CharFieldBase):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        # Before DRF trims whitespace: the schema's maxLength counts what was
        # sent, so 101 characters with a leading space are too many.
        max_length = getattr(self, "max_length", None)
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)
        return super().to_internal_value(data)


class StrictCharField(_StringsOnly, serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}


class StrictEmailField(_StringsOnly, serializers.EmailField):
    pass


class StrictChoiceField(serializers.ChoiceField):
    """DRF matches ``str(value)``: ``1`` would pick a choice ``"1"``."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON number with no fraction: ``5`` and ``5.0``; not ``"5"``, ``true``
    or ``5.5`` (JSON Schema's ``integer`` is the same)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float):
            if not data.is_integer():  # also NaN and infinities
                self.fail("invalid")
            data = int(data)
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A JSON number; DRF also parses strings such as ``"47.6"``."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time in the one spelling the schema gives.

    DRF's parser (``datetime.fromisoformat``) also takes ``20260101T1000``,
    a bare date, or an hour alone: not what the schema describes.
    """

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(ISO_DATETIME, value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][Z|±hh:mm]")
        return super().to_internal_value(value)


class StrictDateField(serializers.DateField):
    """``YYYY-MM-DD`` only (DRF's parser also takes ``20260101``)."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(ISO_DATE, value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


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


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A read-only choice stored blank until it is known (a follow-up's outcome):
    ``null`` in responses, as the schema says, rather than ``""``, which is
    not one of the choices."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value in ("", None):
            return None
        return super().to_representation(value)
