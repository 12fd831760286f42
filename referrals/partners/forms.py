from __future__ import annotations

from django import forms

from referrals.models import PartnerToken
from referrals.partners.services import MAX_LIFETIME_DAYS


class PartnerTokenForm(forms.Form):
    name = forms.CharField(
        max_length=PartnerToken._meta.get_field("name").max_length,
        required=False,
        help_text="What uses it, e.g. “EHR sync”.",
    )
    expires = forms.IntegerField(
        label="Lifetime (days)",
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        initial=365,
    )
