from __future__ import annotations

import functools
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible

# Codes here must differ from the field's own error_messages keys ("invalid",
# "invalid_choice"): Django replaces a validator's message with the field's
# when the codes match, and users would see "Value must be valid JSON."


@functools.cache
def _allowed_values(choices_path: str) -> frozenset[str]:
    # Per path, once: TextChoices.values builds a new list on every call, and
    # a bulk import validates each row's lists (cases.services.people_bulk).
    from django.utils.module_loading import import_string

    return frozenset(import_string(choices_path).values)


@deconstructible
class ChoiceListValidator:
    """A JSON list whose items all come from one TextChoices."""

    def __init__(self, choices_path: str) -> None:
        self.choices_path = choices_path

    def _choices(self) -> type[models.TextChoices]:
        from django.utils.module_loading import import_string

        return import_string(self.choices_path)

    def _allowed(self) -> frozenset[str]:
        return _allowed_values(self.choices_path)

    def __call__(self, value) -> None:
        if not isinstance(value, list):
            raise ValidationError("Must be a list of choices.", code="not_a_list")
        allowed = self._allowed()
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValidationError(
                "Unknown choice(s): %(unknown)s. Allowed: %(allowed)s.",
                code="unknown_choice",
                params={
                    "unknown": ", ".join(map(str, unknown)),
                    "allowed": ", ".join(sorted(allowed)),
                },
            )
        if len(set(value)) != len(value):
            raise ValidationError("A choice is listed twice.", code="duplicate")

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, ChoiceListValidator)
            and other.choices_path == self.choices_path
        )


# Officers on scene, each by name and / or badge number.
MAX_OFFICERS = 20
OFFICER_TEXT_MAX_LENGTH = 100


def validate_officers(value) -> None:
    """``[{"name": "...", "badge": "..."}]``: who responded from the police."""
    if not isinstance(value, list):
        raise ValidationError("Must be a list of {name, badge}.", code="not_a_list")
    if len(value) > MAX_OFFICERS:
        raise ValidationError(
            "At most %(limit)d officers.",
            code="too_many",
            params={"limit": MAX_OFFICERS},
        )
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) - {"name", "badge"}
            or not all(
                isinstance(v, str) and len(v) <= OFFICER_TEXT_MAX_LENGTH
                for v in item.values()
            )
            or not (item.get("name") or item.get("badge"))
        ):
            raise ValidationError(
                "Each officer needs a name or a badge number "
                "(text, at most %(limit)d characters).",
                code="invalid_officer",
                params={"limit": OFFICER_TEXT_MAX_LENGTH},
            )


# What an import could not parse, kept as given (cases.importing): one raw
# value per import column, each cut to this length.
UNPARSED_VALUE_MAX_LENGTH = 1000
MAX_UNPARSED_VALUES = 20


def validate_unparsed(value) -> None:
    """``{"date_of_birth": "13/45/80"}``: column -> raw text, bounded."""
    if not isinstance(value, dict):
        raise ValidationError("Must be an object of raw values.", code="not_a_dict")
    if len(value) > MAX_UNPARSED_VALUES or not all(
        isinstance(k, str)
        and isinstance(v, str)
        and len(v) <= UNPARSED_VALUE_MAX_LENGTH
        for k, v in value.items()
    ):
        raise ValidationError(
            "At most %(count)d raw values of at most %(limit)d characters each.",
            code="too_long",
            params={
                "count": MAX_UNPARSED_VALUES,
                "limit": UNPARSED_VALUE_MAX_LENGTH,
            },
        )


choice_list: Callable[[str], ChoiceListValidator] = ChoiceListValidator
