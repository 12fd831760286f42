"""The referral settings form: the shape only; the limits come from the
model's fields and the rules from ``referral_settings_save``."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.db import models

from referrals.models import ReferralSettings
from referrals.services import ReferralSettingsData
from referrals.services.settings import SETTINGS_FIELDS

LABELS = {
    "respond_days_routine": "Routine (days)",
    "respond_days_urgent": "Urgent (days)",
    "respond_days_emergency": "Emergency (days; 0 = the same day)",
    "escalate_after_days": "Tell managers when still unanswered after (days)",
    "expire_after_days": "Close as expired after this many days without a change",
    "followup_after_accept_days": "After an acceptance, propose a call to the "
    "person in (days)",
}


def _field(name: str) -> forms.Field:
    field = ReferralSettings._meta.get_field(name)
    assert isinstance(field, models.Field)
    formfield = field.formfield(
        label=LABELS[name], widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    assert formfield is not None
    return formfield


class ReferralSettingsForm(forms.Form):
    def __init__(self, *args: Any, config: ReferralSettings, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {n: getattr(config, n) for n in SETTINGS_FIELDS})
        super().__init__(*args, **kwargs)
        for name in SETTINGS_FIELDS:
            self.fields[name] = _field(name)
        self.helper = FormHelper()
        # The template owns the <form> tag and the CSRF token.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                "Respond-by date, when the sender gives none",
                Row(
                    Column("respond_days_routine", css_class="col-12 col-sm-4"),
                    Column("respond_days_urgent", css_class="col-12 col-sm-4"),
                    Column("respond_days_emergency", css_class="col-12 col-sm-4"),
                    css_class="g-2",
                ),
            ),
            Fieldset(
                "Referrals nobody answers",
                "escalate_after_days",
                "expire_after_days",
            ),
            Fieldset("After an acceptance", "followup_after_accept_days"),
        )

    def data_for_service(self) -> ReferralSettingsData:
        return ReferralSettingsData(
            **{name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
        )
