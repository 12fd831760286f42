"""Helpers shared by the follow-up pages: errors, masking.

Access is not decided here: the scoped selectors and the services raise
NotFound / PermissionDenied and navigator.views answers them."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.http import HttpRequest
from django.utils import timezone

from followups import selectors
from followups.models import Delivery, Followup
from followups.texts import mask_recipient
from navigator.errors import Conflict, DomainError
from navigator.views import apply_domain_error


def _with_overdue(followups: Iterable[Followup]) -> None:
    now = timezone.now()
    for followup in followups:
        followup.is_overdue = selectors.followup_is_overdue(followup, now=now)


def _failed(request: HttpRequest, exc: DomainError, form: forms.Form) -> int:
    """Put the error on the form (or the page) and pick the page's status."""
    apply_domain_error(request, exc, form)
    return 409 if isinstance(exc, Conflict) else 200


def _mask(deliveries: Iterable[Delivery]) -> None:
    # Managers see that a message went out, not where: the address is
    # personal data of the navigator or of the person served.
    for delivery in deliveries:
        delivery.masked_recipient = mask_recipient(delivery.recipient)
        delivery.masked_error = (
            delivery.error.replace(delivery.recipient, delivery.masked_recipient)
            if delivery.recipient
            else delivery.error
        )
