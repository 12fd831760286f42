"""Form shapes for the follow-up pages.

Forms parse what was typed (a quick "tomorrow at 10:00", a wall-clock time in
the follow-up's program zone) and present it with crispy-bootstrap5; the rules
live in ``followups.services``, whose DomainError lands back on the field it
names through ``navigator.views.apply_domain_error``. Field names are
therefore the services' argument names (``due_at``, ``assigned_to``,
``contact``, ``outcome``, ``reason``, ``phone``, ...).
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.db import models
from django.db.models import QuerySet

from cases.models import FamilyContact, Person
from followups.models import (
    CLOSING_OUTCOMES,
    AttemptOutcome,
    Followup,
    FollowupAttempt,
    FollowupPlanStep,
    FollowupSettings,
    Method,
    NotificationChannel,
    NotificationPreference,
    Outcome,
    Priority,
)
from followups.services import (
    COMPLETED_AT_RANGE_MESSAGE,
    DUE_AT_RANGE_MESSAGE,
    FollowupAfterEncounter,
    due_at_in_range,
    due_in_days,
)
from navigator.fields import REASON_MAX_LENGTH
from navigator.forms import DATETIME_INPUT, ProgramLocalDateTimeField, local_now_or
from navigator.models import Program, User

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# The usual hour for a call back; the plan service uses the same default.
DEFAULT_TIME = datetime.time(10, 0)
# The quick choices of the schedule form, in days from today (program zone).
QUICK_DAYS = (("1", "Tomorrow"), ("2", "In 2 days"), ("7", "In a week"))
EXACT = "exact"


def _model_field(model: type[models.Model], name: str, **kwargs) -> forms.Field:
    """The form field Django derives from the model, so limits stay in sync."""
    field = model._meta.get_field(name)
    formfield = field.formfield(**kwargs) if isinstance(field, models.Field) else None
    if formfield is None:
        raise TypeError(f"{model.__name__}.{name} has no form field of its own.")
    return formfield


def _helper(*fields: Any) -> FormHelper:
    # Templates own the <form> tag and CSRF token (as in cases.forms): a page
    # holds several small forms, each posting to its own action URL.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


def _in_range(
    value: datetime.datetime | None, message: str = DUE_AT_RANGE_MESSAGE
) -> None:
    # Before the wall-clock value is put in the program's zone: dates near
    # year 1 / 9999 overflow there (a 500 instead of a field error).
    if value is not None and not due_at_in_range(value):
        raise forms.ValidationError(message, code="out_of_range")


def _aware(value: datetime.datetime, program: Program) -> datetime.datetime:
    """A wall-clock time typed for a follow-up, in its program's zone."""
    return value.replace(tzinfo=program.tz)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FamilyContact) -> str:
        phone = f" · {obj.phone}" if obj.phone else ""
        return f"{obj.name} ({obj.relationship}){phone}"


# --- scheduling --------------------------------------------------------------


class FollowupScheduleForm(forms.Form):
    """Schedule a follow-up from the person page."""

    when = forms.ChoiceField(
        label="Day",
        choices=[*QUICK_DAYS, (EXACT, "Exact date and time")],
        initial="1",
        widget=forms.RadioSelect,
    )
    at = forms.TimeField(
        label="At",
        initial=DEFAULT_TIME,
        required=False,
        widget=TIME_INPUT,
        help_text="For tomorrow / in 2 days / in a week.",
    )
    due_at = ProgramLocalDateTimeField(
        label="Exact date and time", required=False, widget=DATETIME_INPUT
    )
    method = forms.ChoiceField(
        label="How",
        choices=Method.choices,
        initial=Method.PHONE,
        widget=forms.RadioSelect,
    )
    contact = ContactChoiceField(
        label="With whom",
        queryset=FamilyContact.objects.none(),
        required=False,
    )
    purpose = _model_field(
        Followup,
        "purpose",
        help_text="What the follow-up is for. Not sent in any reminder.",
    )
    priority = forms.ChoiceField(
        choices=Priority.choices, initial=Priority.ROUTINE, widget=forms.RadioSelect
    )
    assigned_to = UserChoiceField(
        label="Assign to", queryset=User.objects.none(), empty_label=None
    )
    remind_person = forms.BooleanField(
        label="Also remind the person by text message", required=False
    )

    def __init__(
        self,
        *args,
        person: Person,
        contacts: QuerySet[FamilyContact],
        assignees: QuerySet[User],
        can_remind: bool,
        user: User,
        **kwargs,
    ) -> None:
        kwargs.setdefault("initial", {"assigned_to": user.pk})
        super().__init__(*args, **kwargs)
        self.person = person
        zone = person.program.time_zone
        self.fields["due_at"].help_text = f"Local time, {zone}."
        # self.fields holds copies of the fields declared above.
        contact = cast(ContactChoiceField, self.fields["contact"])
        contact.queryset = contacts
        # Labels and help texts hold no data (issue 7): the page names the
        # person where the template escapes it.
        contact.empty_label = "The person themselves"
        self.fields[
            "contact"
        ].help_text = "Family and caregivers the person agreed we may contact."
        # self.fields holds a copy of the field declared above.
        assigned_to = cast(UserChoiceField, self.fields["assigned_to"])
        assigned_to.queryset = assignees.order_by("first_name", "last_name", "username")
        remind = self.fields["remind_person"]
        if can_remind:
            remind.help_text = (
                "A text before the follow-up saying when and how, nothing else."
            )
        else:
            # Disabled fields ignore what is posted: no text without consent.
            remind.disabled = True
            remind.help_text = (
                "Only possible when the person has agreed to text messages "
                "and has a phone number on record (edit the person)."
            )
        self.helper = _helper(
            Fieldset(
                "When",
                Field("when"),
                Row(
                    Column("at", css_class="col-6 col-sm-4"),
                    Column("due_at", css_class="col-12 col-sm-8"),
                    css_class="g-2",
                ),
            ),
            Fieldset(
                "How and with whom",
                Field("method"),
                "contact",
                "purpose",
                Field("priority"),
            ),
            Fieldset("Who and reminders", "assigned_to", "remind_person"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("when") == EXACT:
            if data.get("due_at") is None and "due_at" not in self.errors:
                self.add_error("due_at", "Give the date and time.")
        elif "at" in data and data["at"] is None:
            data["at"] = DEFAULT_TIME
        return data

    def clean_due_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["due_at"]
        _in_range(value)
        return value

    def due_at_for(self, program: Program) -> datetime.datetime:
        data = self.cleaned_data
        if data["when"] == EXACT:
            return _aware(data["due_at"], program)
        return due_in_days(program=program, days=int(data["when"]), at=data["at"])


class EncounterFollowupForm(forms.Form):
    """The optional "follow up in N days by …" part of the encounter form."""

    days = forms.IntegerField(
        label="In (days)",
        required=False,
        min_value=0,
        max_value=365,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    # Nothing here is required: an encounter posted without this part (an
    # older page, a script) is logged as before, with no follow-up.
    method = forms.ChoiceField(
        label="By", choices=Method.choices, initial=Method.PHONE, required=False
    )
    at = forms.TimeField(
        label="At", initial=DEFAULT_TIME, required=False, widget=TIME_INPUT
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "followup")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("days") is not None and not data.get("method"):
            self.add_error("method", "Choose how to follow up.")
        return data

    def wanted(self) -> FollowupAfterEncounter | None:
        """What the service schedules with the encounter, or None."""
        data = self.cleaned_data
        if data.get("days") is None:
            return None
        return FollowupAfterEncounter(
            days=data["days"], method=data["method"], at=data["at"] or DEFAULT_TIME
        )


class FollowupPlanForm(forms.Form):
    """The proposed default follow-ups of an encounter, pre-ticked."""

    steps = forms.MultipleChoiceField(
        label="Schedule these follow-ups",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    at = forms.TimeField(label="At", initial=DEFAULT_TIME, widget=TIME_INPUT)

    def __init__(
        self, *args, steps: list[FollowupPlanStep], time_zone: str, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].help_text = f"Local time, {time_zone}."
        # Not "steps": that names the field declared above.
        self.step_by_pk = {str(s.pk): s for s in steps}
        # self.fields holds a copy of the field declared above.
        field = cast(forms.MultipleChoiceField, self.fields["steps"])
        field.choices = [(k, str(s)) for k, s in self.step_by_pk.items()]
        field.initial = list(self.step_by_pk)

    def chosen_steps(self) -> list[FollowupPlanStep]:
        return [self.step_by_pk[k] for k in self.cleaned_data["steps"]]


# --- acting on one follow-up -------------------------------------------------


class _WhenItHappened(forms.Form):
    """Optional "when it happened" for a call written up later; blank is now
    (the one-tap buttons on Today never send it)."""

    completed_at = ProgramLocalDateTimeField(
        label="When (leave blank for now)",
        required=False,
        widget=DATETIME_INPUT,
    )

    def __init__(self, *args, time_zone: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if time_zone:
            self.fields[
                "completed_at"
            ].help_text = f"Local time, {time_zone}; within the last 30 days."

    def clean_completed_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["completed_at"]
        # Years away would overflow in the program's zone; the service then
        # holds it to the last 30 days.
        _in_range(value, COMPLETED_AT_RANGE_MESSAGE)
        return value

    def completed_at_for(self, program: Program) -> datetime.datetime | None:
        value = self.cleaned_data.get("completed_at")
        return _aware(value, program) if value is not None else None


class FollowupCompleteForm(_WhenItHappened):
    # Not required here: the service names the field ("Choose how the
    # follow-up went."), and the quick buttons on Today post only this.
    # Only outcomes that close it: "no answer" / "left a message" are
    # attempts (FollowupAttemptForm); the service refuses them here too.
    outcome = forms.ChoiceField(
        label="How did it go?",
        choices=[(o, Outcome(o).label) for o in CLOSING_OUTCOMES],
        required=False,
        widget=forms.RadioSelect,
    )
    notes = _model_field(Followup, "notes", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "complete")
        super().__init__(*args, **kwargs)
        self.helper = _helper("outcome", "notes", "completed_at")


class FollowupAttemptForm(forms.Form):
    """An unsuccessful try; the Today buttons post only outcome and method."""

    outcome = forms.ChoiceField(
        label="What happened?",
        choices=AttemptOutcome.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label="How", choices=[("", "As planned"), *Method.choices], required=False
    )
    note = _model_field(
        FollowupAttempt, "note", widget=forms.Textarea(attrs={"rows": 2})
    )
    at = ProgramLocalDateTimeField(
        label="When (leave blank for now)", required=False, widget=DATETIME_INPUT
    )

    def __init__(self, *args: Any, time_zone: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "attempt")
        super().__init__(*args, **kwargs)
        if time_zone:
            self.fields[
                "at"
            ].help_text = f"Local time, {time_zone}; within the last 30 days."
        self.helper = _helper(Field("outcome"), "method", "note", "at")

    def clean_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["at"]
        _in_range(value, COMPLETED_AT_RANGE_MESSAGE)
        return value

    def at_for(self, program: Program) -> datetime.datetime | None:
        value = self.cleaned_data.get("at")
        return _aware(value, program) if value is not None else None


class FollowupMissedForm(_WhenItHappened):
    notes = _model_field(
        Followup,
        "notes",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was tried.",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "missed")
        super().__init__(*args, **kwargs)
        self.helper = _helper("notes", "completed_at")


class FollowupCancelForm(forms.Form):
    # The service requires the reason and names the field; the browser is
    # asked to require it too, so a missing one rarely makes a round trip.
    reason = forms.CharField(
        label="Why is it cancelled?",
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
        help_text="Kept with the follow-up and in the audit log.",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)
        self.helper = _helper("reason")


class FollowupRescheduleForm(forms.Form):
    due_at = ProgramLocalDateTimeField(label="New date and time", widget=DATETIME_INPUT)
    reason = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text="Kept in the audit log.",
    )

    def __init__(self, *args, followup: Followup, **kwargs) -> None:
        kwargs.setdefault("prefix", "reschedule")
        zone = followup.program.time_zone
        kwargs.setdefault("initial", {"due_at": local_now_or(followup.due_at, zone)})
        super().__init__(*args, **kwargs)
        self.fields["due_at"].help_text = f"Local time, {zone}."
        self.helper = _helper("due_at", "reason")

    def clean_due_at(self) -> datetime.datetime:
        value = self.cleaned_data["due_at"]
        _in_range(value)
        return value

    def due_at_for(self, program: Program) -> datetime.datetime:
        return _aware(self.cleaned_data["due_at"], program)


class FollowupReassignForm(forms.Form):
    assigned_to = UserChoiceField(
        label="Assign to", queryset=User.objects.none(), empty_label=None
    )

    def __init__(self, *args, followup: Followup, assignees, **kwargs) -> None:
        kwargs.setdefault("prefix", "reassign")
        kwargs.setdefault("initial", {"assigned_to": followup.assigned_to_id})
        super().__init__(*args, **kwargs)
        # self.fields holds a copy of the field declared above.
        assigned_to = cast(UserChoiceField, self.fields["assigned_to"])
        assigned_to.queryset = assignees.order_by("first_name", "last_name", "username")
        self.helper = _helper("assigned_to")


# --- program settings (managers) ---------------------------------------------

SETTINGS_FIELDS = (
    "reminder_lead_minutes",
    "digest_hour",
    "escalate_after_days",
    "person_reminder_lead_minutes",
    "attempt_retry_hours",
    "attempt_limit",
    "quiet_hours_start",
    "quiet_hours_end",
    "sender_name",
)


class FollowupSettingsForm(forms.Form):
    reminder_lead_minutes = _model_field(
        FollowupSettings,
        "reminder_lead_minutes",
        label="Remind the navigator (minutes before)",
    )
    digest_hour = _model_field(
        FollowupSettings, "digest_hour", label="Daily overdue digest at (hour, 0–23)"
    )
    escalate_after_days = _model_field(
        FollowupSettings,
        "escalate_after_days",
        label="Tell managers when overdue for (days)",
    )
    person_reminder_lead_minutes = _model_field(
        FollowupSettings,
        "person_reminder_lead_minutes",
        label="Remind the person served (minutes before)",
    )
    quiet_hours_start = _model_field(
        FollowupSettings,
        "quiet_hours_start",
        label="Quiet hours from",
        widget=TIME_INPUT,
    )
    quiet_hours_end = _model_field(
        FollowupSettings,
        "quiet_hours_end",
        label="Quiet hours until",
        widget=TIME_INPUT,
    )
    attempt_retry_hours = _model_field(
        FollowupSettings,
        "attempt_retry_hours",
        label="After an unanswered try, try again in (hours)",
    )
    attempt_limit = _model_field(
        FollowupSettings,
        "attempt_limit",
        label="Tell managers after this many unanswered tries",
    )
    sender_name = _model_field(FollowupSettings, "sender_name", label="Sender name")

    def __init__(self, *args, config: FollowupSettings, **kwargs) -> None:
        kwargs.setdefault("prefix", "settings")
        kwargs.setdefault(
            "initial", {name: getattr(config, name) for name in SETTINGS_FIELDS}
        )
        super().__init__(*args, **kwargs)
        for name in SETTINGS_FIELDS[:6]:  # the numbers: a numeric keypad
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        self.helper = _helper(
            Fieldset(
                "Reminders to navigators",
                Row(
                    Column("reminder_lead_minutes", css_class="col-12 col-sm-6"),
                    Column("digest_hour", css_class="col-12 col-sm-6"),
                    css_class="g-2",
                ),
                "escalate_after_days",
            ),
            Fieldset(
                "Unanswered tries",
                Row(
                    Column("attempt_retry_hours", css_class="col-12 col-sm-6"),
                    Column("attempt_limit", css_class="col-12 col-sm-6"),
                    css_class="g-2",
                ),
            ),
            Fieldset(
                "Reminders to people served",
                "person_reminder_lead_minutes",
                Row(
                    Column("quiet_hours_start", css_class="col-6"),
                    Column("quiet_hours_end", css_class="col-6"),
                    css_class="g-2",
                ),
                "sender_name",
            ),
        )


class PlanStepForm(forms.Form):
    disposition = _model_field(FollowupPlanStep, "disposition")
    days_after = _model_field(
        FollowupPlanStep,
        "days_after",
        label="Days after the encounter",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    method = _model_field(FollowupPlanStep, "method", label="How")
    purpose = _model_field(FollowupPlanStep, "purpose")
    priority = _model_field(FollowupPlanStep, "priority")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "step")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "disposition",
            Row(
                Column("days_after", css_class="col-5 col-sm-3"),
                Column("method", css_class="col-7 col-sm-5"),
                Column("priority", css_class="col-12 col-sm-4"),
                css_class="g-2",
            ),
            "purpose",
        )


# --- the user's own notifications --------------------------------------------


class NotificationPreferenceForm(forms.Form):
    channel = forms.ChoiceField(
        label="How should reminders reach you?",
        choices=NotificationChannel.choices,
        widget=forms.RadioSelect,
    )
    phone = _model_field(
        NotificationPreference,
        "phone",
        label="Mobile number for text messages",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, *args, preference: NotificationPreference, **kwargs) -> None:
        kwargs.setdefault(
            "initial", {"channel": preference.channel, "phone": preference.phone}
        )
        super().__init__(*args, **kwargs)
        self.helper = _helper("channel", "phone")
