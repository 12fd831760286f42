"""Model field types every app shares.

Free text is bounded where it is stored, so the services' ``validate_model``
enforces one limit for every front door (page, API, import, command), and
forms and serializers derived from the model field show the same one. A 2.4 MB
narrative was once stored, and wrote a 3.5 MB audit row.
"""

from __future__ import annotations

from django.core import validators
from django.db import models
from django.utils.functional import cached_property

# Why a record was deleted, a follow-up cancelled, a flag dismissed: a few
# sentences for the audit log. Reasons given with no field of their own (a
# restore, a reschedule) are held to it too (navigator.services.clean_reason).
REASON_MAX_LENGTH = 2000


class BoundedTextField(models.TextField):
    """A TextField whose ``max_length`` ``full_clean()`` enforces.

    Django passes a TextField's ``max_length`` on to form fields (and DRF to
    serializer fields) but never checks it on the model. NUL characters are
    refused too: PostgreSQL cannot store them in text, and a service called
    directly has no form field to refuse them first.
    """

    max_length: int  # required here, unlike on a plain TextField

    def __init__(self, *args, max_length: int, **kwargs) -> None:
        # Callers name max_length (it is keyword-only here), so args never
        # hold it; mypy cannot know that of *args.
        super().__init__(*args, max_length=max_length, **kwargs)  # type: ignore[misc]

    @cached_property
    def validators(self):
        return [
            *super().validators,
            validators.MaxLengthValidator(self.max_length),
            validators.ProhibitNullCharactersValidator(),
        ]
