"""Form shapes for the referral pages: refer (search, choose, send), the
status moves, notes, edits.

Forms parse what was typed; every rule (the consent gate, who may make a
move, the reason a move needs, the respond-by range) lives in
``referrals.services`` and comes back as a DomainError on the field it names
(``navigator.views.apply_domain_error``). Field names are therefore the
services' argument names.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.db.models import QuerySet

from cases.models import InfoClass
from navigator.fields import REASON_MAX_LENGTH
from navigator.forms import DATE_INPUT, DATETIME_INPUT, ProgramLocalDateTimeField
from navigator.models import Program, User
from referrals.lifecycle import MOVES
from referrals.models import (
    Accepting,
    DeclinedBy,
    ReasonCode,
    Referral,
    ReferralNote,
    ReferralOutcome,
    Service,
    ServiceCategory,
    Urgency,
)
from referrals.services import MAX_GROUP_SIZE, ReferralChanges

# The reasons a person or caseworker gives; "placed elsewhere" and "expired"
# are the system's (a group's sibling, the idle sweep).
HUMAN_REASONS = [
    (c, label)
    for c, label in ReasonCode.choices
    if c not in (ReasonCode.PLACED_ELSEWHERE, ReasonCode.EXPIRED)
]
# The moves a page offers (the system's "fail" is the sweep's alone).
PAGE_ACTIONS = [(m.action, m.label) for m in MOVES if m.actor != "system"]


def _helper(*fields: Any) -> FormHelper:
    # The templates own the <form> tag and the CSRF token (as in the other
    # apps' forms): the refer page mixes a crispy layout with the search.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


def _model_field(name: str, model: Any = Referral, **kwargs: Any) -> forms.Field:
    """The form field Django derives from the model, so limits stay in sync."""
    formfield = model._meta.get_field(name).formfield(**kwargs)
    if formfield is None:
        raise TypeError(f"{model.__name__}.{name} has no form field of its own.")
    return formfield


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class ServiceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Service) -> str:
        return f"{obj.agency.name} · {obj.name}"


# --- the directory search on the refer page ----------------------------------


class ServiceSearchForm(forms.Form):
    """``referrals.selectors.ServiceSearch``, typed in."""

    q = forms.CharField(
        label="Service or agency",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(
        label="Category",
        required=False,
        choices=[("", "Any category"), *ServiceCategory.choices],
    )
    city = forms.CharField(label="City", required=False, max_length=100)
    accepting = forms.ChoiceField(
        label="Accepting new clients",
        required=False,
        choices=[("", "Any"), *Accepting.choices],
    )


# --- refer -------------------------------------------------------------------


class ReferForm(forms.Form):
    """One need, to one service or (a crisis bed: first to accept wins) up
    to three."""

    services = ServiceChoiceField(
        label="Services",
        queryset=Service.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=f"One, or up to {MAX_GROUP_SIZE} for one need: the first to "
        "accept wins and the others are cancelled as placed elsewhere.",
    )
    info_classes = forms.MultipleChoiceField(
        label="The referral carries",
        choices=InfoClass.choices,
        initial=[InfoClass.GENERAL],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The consent must cover each (substance-use information "
        "needs a complete 42 CFR Part 2 consent).",
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
    )
    is_involuntary = forms.TypedChoiceField(
        label="Voluntary?",
        choices=[("false", "Voluntary"), ("true", "Involuntary")],
        coerce=lambda v: v == "true",
        initial="false",
        widget=forms.RadioSelect,
    )
    reason = _model_field(
        "reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason / presenting need",
    )
    respond_by = forms.DateField(label="Respond by", required=False, widget=DATE_INPUT)
    assigned_to = UserChoiceField(
        label="Caseworker", queryset=User.objects.none(), required=False
    )
    consent_override_reason = forms.CharField(
        label="Emergency: why send without consent?",
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only for an emergency referral (HIPAA §164.510(b)(3); "
        "42 CFR §2.51). Recorded on the referral and in the audit log.",
    )

    def __init__(
        self,
        *args: Any,
        services: QuerySet[Service],
        assignees: QuerySet[User],
        respond_by_help: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(ServiceChoiceField, self.fields["services"]).queryset = services
        assigned = cast(UserChoiceField, self.fields["assigned_to"])
        assigned.queryset = assignees.order_by("first_name", "last_name", "username")
        assigned.empty_label = "Me"
        if respond_by_help:
            self.fields["respond_by"].help_text = respond_by_help

    def chosen_services(self) -> list[Service]:
        return list(self.cleaned_data.get("services") or [])


# --- the status moves --------------------------------------------------------


class TransitionForm(forms.Form):
    """One move (the board's one-tap buttons, the detail page's forms).

    Nothing but the action is required here: the service names the field a
    move needs (a reason to decline or cancel, an outcome to complete).
    """

    action = forms.ChoiceField(choices=PAGE_ACTIONS)
    reason_code = forms.ChoiceField(
        label="Why", required=False, choices=[("", "Choose…"), *HUMAN_REASONS]
    )
    declined_by = forms.ChoiceField(
        label="Who declined",
        required=False,
        choices=[("", "—"), *DeclinedBy.choices],
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        choices=[("", "Choose…"), *ReferralOutcome.choices],
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    consent_override_reason = forms.CharField(
        label="Emergency: why send without consent?",
        required=False,
        max_length=REASON_MAX_LENGTH,
    )
    schedule_followup = forms.BooleanField(
        label="Schedule a follow-up call", required=False
    )
    followup_due_at = ProgramLocalDateTimeField(
        label="Call on", required=False, widget=DATETIME_INPUT
    )

    def followup_due_for(self, program: Program) -> datetime.datetime | None:
        data = self.cleaned_data
        if not data.get("schedule_followup"):
            return None
        due = data.get("followup_due_at")
        if due is None:
            self.add_error("followup_due_at", "Say when to call.")
            return None
        return due.replace(tzinfo=program.tz)

    def clean_followup_due_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["followup_due_at"]
        # Years away would overflow in the program's zone (a 500, not a
        # field error); the follow-up service holds the real range.
        if value is not None and not (2000 <= value.year <= 2200):
            raise forms.ValidationError("Give a date near today.", code="out_of_range")
        return value


# --- notes and edits ---------------------------------------------------------


class NoteForm(forms.Form):
    text = _model_field(
        "text",
        model=ReferralNote,
        label="Add a note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("text")


class ReferralEditForm(forms.Form):
    """The editable fields of an open referral (``ReferralChanges``)."""

    reason = _model_field(
        "reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason / presenting need",
    )
    urgency = forms.ChoiceField(label="Urgency", choices=Urgency.choices)
    is_involuntary = forms.TypedChoiceField(
        label="Voluntary?",
        choices=[("false", "Voluntary"), ("true", "Involuntary")],
        coerce=lambda v: v == "true",
    )
    respond_by = forms.DateField(label="Respond by", required=False, widget=DATE_INPUT)
    assigned_to = UserChoiceField(
        label="Caseworker", queryset=User.objects.none(), empty_label=None
    )

    def __init__(
        self, *args: Any, referral: Referral, assignees: QuerySet[User], **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "reason": referral.reason,
                "urgency": referral.urgency,
                "is_involuntary": "true" if referral.is_involuntary else "false",
                "respond_by": referral.respond_by,
                "assigned_to": referral.assigned_to_id,
            },
        )
        kwargs.setdefault("prefix", "edit")
        super().__init__(*args, **kwargs)
        assigned = cast(UserChoiceField, self.fields["assigned_to"])
        assigned.queryset = assignees.order_by("first_name", "last_name", "username")
        self.helper = _helper(
            "reason", "urgency", "is_involuntary", "respond_by", "assigned_to"
        )

    def changes(self) -> ReferralChanges:
        data = self.cleaned_data
        return ReferralChanges(
            reason=data["reason"],
            urgency=data["urgency"],
            respond_by=data.get("respond_by"),
            assigned_to=data["assigned_to"],
            is_involuntary=data["is_involuntary"],
        )
