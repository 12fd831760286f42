"""The endpoint form: the shape only; ``clean_webhook_url`` is the rule."""

from __future__ import annotations

from django import forms

from referrals.models import WebhookEndpoint


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint address",
        max_length=WebhookEndpoint._meta.get_field("url").max_length,
        help_text="https:// only (http:// only to localhost, for tests).",
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    is_active = forms.BooleanField(label="Send events", required=False, initial=True)
