from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible

# Codes here must differ from the field's own error_messages keys ("invalid",
# "invalid_choice"): Django replaces a validator's message with the field's
# when the codes match, and users would see "Value must be valid JSON."


@deconstructible
class ChoiceListValidator:
    """A JSON list whose items all come from one TextChoices."""

    def __init__(self, choices_path: str) -> None:
        self.choices_path = choices_path

    def _choices(self) -> type[models.TextChoices]:
        from django.utils.module_loading import import_string

        return import_string(self.choices_path)

    def __call__(self, value) -> None:
        if not isinstance(value, list):
            raise ValidationError("Must be a list of choices.", code="not_a_list")
        allowed = set(self._choices().values)
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


def validate_officers(value) -> None:
    """``[{"name": "...", "badge": "..."}]``: who responded from the police."""
    if not isinstance(value, list):
        raise ValidationError("Must be a list of {name, badge}.", code="not_a_list")
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) - {"name", "badge"}
            or not all(isinstance(v, str) and len(v) <= 100 for v in item.values())
            or not (item.get("name") or item.get("badge"))
        ):
            raise ValidationError(
                "Each officer needs a name or a badge number "
                "(text, at most 100 characters).",
                code="invalid_officer",
            )


choice_list: Callable[[str], ChoiceListValidator] = ChoiceListValidator
