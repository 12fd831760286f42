"""Request fields that take a JSON value only in the type the schema gives.

DRF coerces: ``"narrative": 0`` was stored as ``"0"``, ``{"name": 5}`` as an
officer named "5", ``"remind_person": "yes"`` as true, ``"program": "3"`` as
3. A client that sends the wrong type has a bug, and health data should not
be stored on a guess: each field here refuses what its schema type does not
describe, with DRF's own "invalid" message, naming the field.
"""

from __future__ import annotations

from rest_framework import serializers


class _StringsOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
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
