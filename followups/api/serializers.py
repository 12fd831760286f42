"""Shapes of follow-ups and reminder deliveries in the API.

As in ``cases.api``: one serializer per resource for both directions, flat
``<thing>`` ids with ``<thing>_name`` beside them, so what a client reads it
can send back. Views hand ``validated_data`` to the services; the rules
(who may be assigned, which contact, which transitions) live there.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework import serializers

from followups.models import (
    AttemptOutcome,
    Delivery,
    Followup,
    FollowupAttempt,
    Method,
    Outcome,
)
from followups.selectors import followup_is_overdue
from followups.services import (
    COMPLETED_AT_RANGE_MESSAGE,
    DUE_AT_RANGE_MESSAGE,
    due_at_in_range,
)
from followups.texts import mask_recipient
from navigator.api.fields import (
    BlankAsNullChoiceField,
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictIntegerField,
)
from navigator.api.serializers import MAX_ID, StrictModelSerializer, StrictSerializer
from navigator.fields import REASON_MAX_LENGTH


class IdField(StrictIntegerField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class LocalDateTimeField(StrictDateTimeField):
    """An ISO date-time; one without an offset is left naive.

    The view reads a naive time in the follow-up's own program zone, which
    for a user of several programs need not be the zone of their first one
    (the zone ApiViewMixin activates).
    """

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            return value
        return super().enforce_timezone(value)


def _user_name(user) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


class FollowupSerializer(StrictModelSerializer):
    """A follow-up; status, outcome and notes change only through its actions."""

    read_only_hints = dict.fromkeys(
        ("status", "outcome", "notes", "completed_at", "cancelled_reason"),
        "use the complete, missed or cancel action",
    )

    program = serializers.IntegerField(source="program_id", read_only=True)
    person = IdField(
        source="person_id",
        help_text="The person followed up with. Cannot change later.",
    )
    person_display_name = serializers.CharField(
        source="person.display_name", read_only=True
    )
    encounter = IdField(
        source="encounter_id",
        required=False,
        allow_null=True,
        help_text="The encounter (of the same person) that caused it. "
        "Cannot change later.",
    )
    due_at = LocalDateTimeField(
        help_text="ISO 8601. Without a UTC offset it is read in the time zone "
        "of the person's program. Changing it reschedules the reminders."
    )
    assigned_to = IdField(
        source="assigned_to_id",
        required=False,
        help_text="User id of a staff member of the program; defaults to you.",
    )
    assigned_to_name = serializers.SerializerMethodField()
    contact = IdField(
        source="contact_id",
        required=False,
        allow_null=True,
        help_text="With whom: one of the person's family / caregiver contacts, "
        "or null for the person themselves.",
    )
    contact_name = serializers.CharField(
        source="contact.name", read_only=True, allow_null=True, default=None
    )
    contact_relationship = serializers.CharField(
        source="contact.relationship", read_only=True, allow_null=True, default=None
    )
    outcome = BlankAsNullChoiceField(
        choices=Outcome.choices,
        help_text="How it went; null until the follow-up is completed.",
    )
    completed_by = serializers.IntegerField(
        source="completed_by_id", read_only=True, allow_null=True
    )
    completed_by_name = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Followup
        fields = [
            "id",
            "program",
            "person",
            "person_display_name",
            "encounter",
            "due_at",
            "assigned_to",
            "assigned_to_name",
            "method",
            "contact",
            "contact_name",
            "contact_relationship",
            "purpose",
            "priority",
            "status",
            "outcome",
            "notes",
            "completed_at",
            "completed_by",
            "completed_by_name",
            "cancelled_reason",
            "escalated_at",
            "remind_person",
            "is_overdue",
            "created_at",
            "updated_at",
        ]
        # Closing a follow-up goes through its actions (complete, missed,
        # cancel), each a service with its own rules and audit.
        read_only_fields = [
            "status",
            "notes",
            "completed_at",
            "cancelled_reason",
            "escalated_at",
        ]
        extra_kwargs = {"method": {"required": True}}

    def get_assigned_to_name(self, followup: Followup) -> str:
        return _user_name(followup.assigned_to) or ""

    def get_completed_by_name(self, followup: Followup) -> str | None:
        return _user_name(followup.completed_by)

    def get_is_overdue(self, followup: Followup) -> bool:
        return followup_is_overdue(followup)

    def validate_due_at(self, value: datetime.datetime) -> datetime.datetime:
        # Checked here too, before the value is moved into the program's
        # zone (where years near 1 or 9999 would overflow).
        if not due_at_in_range(value):
            raise serializers.ValidationError(DUE_AT_RANGE_MESSAGE, code="out_of_range")
        return value


class FollowupUpdateSerializer(FollowupSerializer):
    """PATCH: what may change, plus an optional reason for the audit log."""

    reason = StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Why (kept in the audit log), e.g. why it was rescheduled.",
    )

    class Meta(FollowupSerializer.Meta):
        fields = FollowupSerializer.Meta.fields + ["reason"]


class FollowupMissedSerializer(StrictSerializer):
    """Tried, and it could not happen."""

    notes = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=Followup._meta.get_field("notes").max_length,
        default="",
    )
    completed_at = LocalDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When it happened, if not now: within the last 30 days. "
        "Without an offset, in the follow-up's program time zone.",
    )

    def validate_completed_at(self, value):
        if value is not None and not due_at_in_range(value):
            raise serializers.ValidationError(
                COMPLETED_AT_RANGE_MESSAGE, code="out_of_range"
            )
        return value


class FollowupCompleteSerializer(FollowupMissedSerializer):
    """How the follow-up went."""

    outcome = StrictChoiceField(
        choices=Outcome.choices,
        help_text="Only outcomes that close it: the person was reached, or it "
        "ends on purpose (declined, wrong number, other). `no_answer` and "
        "`left_message` are a 400 on `outcome`: record those with the "
        "`attempt` action.",
    )


class FollowupAttemptSerializer(StrictSerializer):
    """An unsuccessful try: the follow-up stays open."""

    outcome = StrictChoiceField(choices=AttemptOutcome.choices)
    method = StrictChoiceField(
        choices=Method.choices,
        required=False,
        default="",
        help_text="How it was tried; defaults to the follow-up's method.",
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=FollowupAttempt._meta.get_field("note").max_length,
        default="",
    )
    at = LocalDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When it happened, if not now: within the last 30 days. "
        "Without an offset, in the follow-up's program time zone.",
    )

    def validate_at(self, value: datetime.datetime | None) -> datetime.datetime | None:
        if value is not None and not due_at_in_range(value):
            raise serializers.ValidationError(
                COMPLETED_AT_RANGE_MESSAGE, code="out_of_range"
            )
        return value


class FollowupAttemptReadSerializer(serializers.ModelSerializer):
    """One try, as the follow-up lists it."""

    attempted_by = serializers.IntegerField(source="attempted_by_id", read_only=True)
    attempted_by_name = serializers.SerializerMethodField()

    class Meta:
        model = FollowupAttempt
        fields = [
            "id",
            "attempted_at",
            "attempted_by",
            "attempted_by_name",
            "method",
            "outcome",
            "note",
        ]
        read_only_fields = fields

    def get_attempted_by_name(self, attempt: FollowupAttempt) -> str:
        return _user_name(attempt.attempted_by) or ""


class FollowupDetailSerializer(FollowupSerializer):
    """One follow-up with its unsuccessful tries (not in lists)."""

    attempts = FollowupAttemptReadSerializer(many=True, read_only=True)

    class Meta(FollowupSerializer.Meta):
        fields = FollowupSerializer.Meta.fields + ["attempts"]


class DeliverySerializer(serializers.ModelSerializer):
    """One email or SMS of a reminder, with a masked recipient."""

    recipient = serializers.SerializerMethodField(
        help_text='Masked: "n***@example.org", "***1234".'
    )
    error = serializers.SerializerMethodField()
    kind = serializers.CharField(source="reminder.kind", read_only=True)
    attempts = serializers.IntegerField(
        source="reminder.attempts",
        read_only=True,
        help_text="Send attempts of the reminder so far (bounded; then failed).",
    )
    followup = serializers.IntegerField(
        source="reminder.followup_id",
        read_only=True,
        allow_null=True,
        help_text="The follow-up reminded of; null for a daily digest.",
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "recipient",
            "summary",
            "status",
            "provider_id",
            "error",
            "kind",
            "attempts",
            "followup",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields

    def get_recipient(self, delivery: Delivery) -> str:
        return mask_recipient(delivery.recipient)

    def get_error(self, delivery: Delivery) -> str:
        # Providers often quote the address they refused.
        if not delivery.recipient:
            return delivery.error
        return delivery.error.replace(
            delivery.recipient, mask_recipient(delivery.recipient)
        )
