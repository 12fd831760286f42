"""Form shapes of the consent pages: what was typed, parsed; every rule is
``cases.consents.services``' (its errors land on the named field)."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.db import models
from django.db.models import QuerySet

from cases.consents.services import ConsentData
from cases.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    InfoClass,
    RecipientKind,
    RevokeMethod,
)
from navigator.fields import REASON_MAX_LENGTH
from navigator.forms import DATE_INPUT
from navigator.uploads import ALLOWED_DESCRIPTION, EXTENSIONS


def _helper(layout: Layout) -> FormHelper:
    # The template owns the <form> tag and the CSRF token.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


def _max(name: str) -> int | None:
    field = Consent._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.max_length


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


_ACCEPT = ",".join(
    sorted({ext for exts in EXTENSIONS.values() for ext in exts} | set(EXTENSIONS))
)


class ConsentForm(forms.Form):
    """A release of information, as the person gave it."""

    recipient_kind = forms.ChoiceField(
        label="Who may receive the information",
        choices=RecipientKind.choices,
        widget=forms.RadioSelect,
        initial=RecipientKind.AGENCY,
    )
    agency = AgencyChoiceField(
        queryset=None,
        required=False,
        empty_label="Choose the agency",
        help_text="Only for a named agency.",
    )
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices)
    purpose_detail = forms.CharField(
        label="Purpose, in the form's words",
        required=False,
        max_length=_max("purpose_detail"),
    )
    info_classes = forms.MultipleChoiceField(
        label="What information may be shared",
        choices=InfoClass.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    information_description = forms.CharField(
        label="Description of the information",
        required=False,
        max_length=_max("information_description"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Specifically, as on the form (needed for substance-use "
        "information, 42 CFR §2.31(a)(3)).",
    )
    discloser = forms.CharField(
        label="Who may disclose it", required=False, max_length=_max("discloser")
    )
    signed_on = forms.DateField(label="Date signed", widget=DATE_INPUT)
    expires_on = forms.DateField(label="Expires on", required=False, widget=DATE_INPUT)
    expiry_event = forms.CharField(
        label="…or the event that ends it",
        required=False,
        max_length=_max("expiry_event"),
        help_text="E.g. “when treatment ends”.",
    )
    method = forms.ChoiceField(
        label="How it was given",
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
        initial=ConsentMethod.SIGNED_FORM,
    )
    witness_name = forms.CharField(
        label="Witness (verbal consent)",
        required=False,
        max_length=_max("witness_name"),
    )
    signature_obtained = forms.BooleanField(
        label="Signed by the person (or their representative)", required=False
    )
    right_to_revoke_stated = forms.BooleanField(
        label="The form states the right to revoke, and how", required=False
    )
    redisclosure_statement = forms.BooleanField(
        label="The form carries the statement on redisclosure", required=False
    )
    notes = forms.CharField(
        required=False,
        max_length=_max("notes"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    form = forms.FileField(
        label="Scanned form",
        required=False,
        help_text=f"Optional: {ALLOWED_DESCRIPTION}.",
        widget=forms.ClearableFileInput(attrs={"accept": _ACCEPT}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, agencies: QuerySet, discloser: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        agency_field.queryset = agencies
        self.fields["discloser"].initial = discloser
        self.helper = _helper(
            Layout(
                Fieldset(
                    "Recipient and purpose",
                    "recipient_kind",
                    "agency",
                    "purpose",
                    "purpose_detail",
                ),
                Fieldset(
                    "Information",
                    "info_classes",
                    "information_description",
                    "discloser",
                ),
                Fieldset(
                    "Signature and expiry",
                    "method",
                    "witness_name",
                    "signed_on",
                    Div("expires_on", "expiry_event"),
                    "signature_obtained",
                    "right_to_revoke_stated",
                    "redisclosure_statement",
                ),
                "form",
                "notes",
                "next",
            )
        )

    def consent_data(self) -> ConsentData:
        d = self.cleaned_data
        return _data(d)

    def draft_data(self) -> ConsentData:
        """What the form holds so far, valid or not (the live §2.31 check);
        a field that does not parse counts as not given."""
        self.is_valid()
        d = dict(getattr(self, "cleaned_data", {}))
        d.setdefault("signed_on", None)
        return _data(d)


def _data(d: dict[str, Any]) -> ConsentData:
    agency = d.get("agency")
    recipient_kind = d.get("recipient_kind") or RecipientKind.AGENCY
    return ConsentData(
        recipient_kind=recipient_kind,
        agency_id=agency.pk
        if agency is not None and recipient_kind == RecipientKind.AGENCY
        else None,
        purpose=d.get("purpose") or "",
        purpose_detail=d.get("purpose_detail") or "",
        info_classes=list(d.get("info_classes") or []),
        information_description=d.get("information_description") or "",
        discloser=d.get("discloser") or "",
        signed_on=d.get("signed_on"),  # type: ignore[arg-type]
        expires_on=d.get("expires_on"),
        expiry_event=d.get("expiry_event") or "",
        method=d.get("method") or "",
        witness_name=d.get("witness_name") or "",
        signature_obtained=bool(d.get("signature_obtained")),
        right_to_revoke_stated=bool(d.get("right_to_revoke_stated")),
        redisclosure_statement=bool(d.get("redisclosure_statement")),
        notes=d.get("notes") or "",
    )


class RevokeForm(forms.Form):
    method = forms.ChoiceField(
        label="How the person revoked it",
        choices=RevokeMethod.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the consent and in the audit log.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout("method", "reason"))


class InErrorForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was wrong (kept in the audit log). Record the right "
        "consent afresh.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout("reason"))


class ConsentFormUploadForm(forms.Form):
    form = forms.FileField(
        label="Scanned form",
        help_text=f"{ALLOWED_DESCRIPTION}.",
        widget=forms.ClearableFileInput(attrs={"accept": _ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout("form"))
