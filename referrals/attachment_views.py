"""A referral's attachments: upload (POST) and download (GET).

The referral's detail page shows them with ``referrals/_attachments.html``.
The access functions decide (another program's referral: 404); every
download is noted as a disclosure of the person's record.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from navigator import disclosure
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.uploads import ALLOWED_DESCRIPTION, stored_file_response
from navigator.views import safe_next
from referrals import selectors, services
from referrals.models import Referral


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Attach a document", help_text=f"{ALLOWED_DESCRIPTION}."
    )


def _back(request: AuthedRequest, referral: Referral) -> HttpResponseRedirect:
    target = safe_next(request)
    if not target:
        try:
            target = reverse("referral-detail", args=[referral.pk])
        except NoReverseMatch:
            target = reverse("person-detail", args=[referral.person_id])
    return HttpResponseRedirect(target + "#attachments")


@login_required
@require_http_methods(["POST"])
def referral_attachment_add(request: AuthedRequest, pk: int) -> HttpResponseBase:
    referral = selectors.referral_get_for(user=request.user, pk=pk, action="attach")
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to attach.")
        return _back(request, referral)
    try:
        services.referral_attachment_add(
            by=request.user, referral=referral, upload=form.cleaned_data["file"]
        )
    except DomainError as exc:
        if not exc.fields:
            raise
        # The referral page is not re-rendered here: the reason goes back
        # as a message (it names what was wrong with the file).
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Document attached.")
    return _back(request, referral)


@login_required
@require_http_methods(["GET"])
def referral_attachment(
    request: AuthedRequest, pk: int, attachment_pk: int
) -> HttpResponseBase:
    attachment = selectors.referral_attachment_get_for(
        user=request.user, referral_pk=pk, pk=attachment_pk
    )
    response = stored_file_response(attachment.file)
    referral = attachment.referral
    disclosure.note(
        by=request.user,
        person_id=referral.person_id,
        program_id=referral.program_id,
        kind=disclosure.REFERRAL_ATTACHMENT,
        object_id=attachment.pk,
    )
    return response
