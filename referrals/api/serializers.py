"""Shapes of referrals, their history and notes in the staff API.

Shapes only (STYLE.md): the views resolve the ids a body names through the
scoped selectors and hand the rest to ``referrals.services``, where every
rule lives (who may move a referral, which reason a move needs, the consent
gate, the respond-by date). A list item carries what the board shows (kind
``referral.summary``: agency, service, status, urgency, dates); the detail
adds the need, the history and the consent it relies on (kind ``referral``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Consent, InfoClass
from navigator.api.fields import (
    BlankAsNullChoiceField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictIntegerField,
)
from navigator.api.serializers import MAX_ID, ChoiceListField, StrictSerializer
from navigator.fields import REASON_MAX_LENGTH
from referrals.lifecycle import AWAITING_RESPONSE, moves_from
from referrals.models import (
    DeclinedBy,
    ReasonCode,
    Referral,
    ReferralNote,
    ReferralOutcome,
    ReferralStatus,
    ReferralStatusChange,
    Urgency,
)
from referrals.selectors import ReferralRow
from referrals.services import MAX_GROUP_SIZE

REASON_LENGTH = Referral._meta.get_field("reason").max_length
NOTE_LENGTH = ReferralStatusChange._meta.get_field("note").max_length
NOTE_TEXT_LENGTH = ReferralNote._meta.get_field("text").max_length


class IdField(StrictIntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class LocalDateTimeField(StrictDateTimeField):
    """An ISO date-time; one without an offset is left naive, for the view
    to read in the referral's own program zone."""

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            return value
        return super().enforce_timezone(value)


def _user_name(user) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


def _api_action(name: str) -> str:
    # The URL spells the action with a hyphen, as FHIR spells the status.
    return name.replace("_", "-")


class AgencyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ServiceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ReferralSerializer(serializers.ModelSerializer):
    """A referral in lists: where to, how urgent, where it stands."""

    program = serializers.IntegerField(source="program_id", read_only=True)
    person = serializers.IntegerField(source="person_id", read_only=True)
    person_display_name = serializers.CharField(
        source="person.display_name", read_only=True
    )
    agency = AgencyRefSerializer(read_only=True)
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    group = serializers.IntegerField(
        source="group_id",
        read_only=True,
        allow_null=True,
        help_text="Sent with others for one need (the first to accept wins).",
    )
    status = serializers.ChoiceField(choices=ReferralStatus.choices, read_only=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True)
    outcome = BlankAsNullChoiceField(
        choices=ReferralOutcome.choices,
        help_text='How it ended; null until completed ("closed" is not "connected").',
    )
    assigned_to = serializers.IntegerField(
        source="assigned_to_id", read_only=True, allow_null=True
    )
    assigned_to_name = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField(
        help_text="Requested, with no answer by the respond-by date."
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "program",
            "person",
            "person_display_name",
            "agency",
            "service",
            "group",
            "urgency",
            "is_involuntary",
            "status",
            "outcome",
            "assigned_to",
            "assigned_to_name",
            "respond_by",
            "is_overdue",
            "requested_at",
            "responded_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assigned_to_name(self, referral: Referral) -> str | None:
        return _user_name(referral.assigned_to)

    def get_is_overdue(self, referral: Referral) -> bool:
        return bool(
            referral.status in AWAITING_RESPONSE
            and referral.respond_by is not None
            and referral.respond_by < timezone.localdate()
        )


def _iso(value: datetime.datetime | None, zone: datetime.tzinfo) -> str | None:
    # As DRF's DateTimeField writes it: ISO 8601 in the request's time zone
    # (the program's, navigator.api.views), "Z" for UTC.
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def referral_list_items(rows: Iterable[ReferralRow]) -> list[dict[str, Any]]:
    """The list's items, as ReferralSerializer shows them (its fields, in its
    order; it remains the schema), from ReferralRows: DRF's field-by-field
    serializing of model instances was most of a page of 100
    (docs/performance.md, "Referrals"). tests/referrals/test_api_queries.py
    checks that both give the same JSON."""
    zone = timezone.get_current_timezone()
    return [
        {
            "id": r.id,
            "program": r.program_id,
            "person": r.person_id,
            "person_display_name": r.person_display_name,
            "agency": {"id": r.agency_id, "slug": r.agency_slug, "name": r.agency_name},
            "service": (
                {"id": r.service_id, "name": r.service_name}
                if r.service_id is not None
                else None
            ),
            "group": r.group_id,
            "urgency": r.urgency,
            "is_involuntary": r.is_involuntary,
            "status": r.status,
            "outcome": r.outcome or None,
            "assigned_to": r.assigned_to_id,
            "assigned_to_name": r.assigned_to_name,
            "respond_by": r.respond_by.isoformat() if r.respond_by else None,
            "is_overdue": r.is_overdue,
            "requested_at": _iso(r.requested_at, zone),
            "responded_at": _iso(r.responded_at, zone),
            "closed_at": _iso(r.closed_at, zone),
            "created_at": _iso(r.created_at, zone),
            "updated_at": _iso(r.updated_at, zone),
        }
        for r in rows
    ]


class HistorySerializer(serializers.ModelSerializer):
    """One move: who, on the agency's behalf or not, when, from, to, why."""

    by = serializers.IntegerField(
        source="by_id",
        read_only=True,
        allow_null=True,
        help_text="Null: the system (expiry, a sibling placed elsewhere).",
    )
    by_name = serializers.SerializerMethodField()
    from_status = serializers.ChoiceField(
        choices=ReferralStatus.choices, read_only=True
    )
    to_status = serializers.ChoiceField(choices=ReferralStatus.choices, read_only=True)
    reason_code = BlankAsNullChoiceField(choices=ReasonCode.choices)
    declined_by = BlankAsNullChoiceField(choices=DeclinedBy.choices)

    class Meta:
        model = ReferralStatusChange
        fields = [
            "id",
            "at",
            "by",
            "by_name",
            "on_behalf_of_agency",
            "from_status",
            "to_status",
            "reason_code",
            "declined_by",
            "note",
        ]
        read_only_fields = fields

    def get_by_name(self, change: ReferralStatusChange) -> str | None:
        return _user_name(change.by)


class ConsentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    summary = serializers.SerializerMethodField()

    def get_summary(self, consent: Consent) -> str:
        recipient = consent.agency.name if consent.agency else "any program partner"
        classes = ", ".join(
            str(label)
            for value, label in InfoClass.choices
            if value in consent.info_classes
        )
        until = (
            f"until {consent.expires_on.isoformat()}"
            if consent.expires_on
            else consent.expiry_event or "no expiry given"
        )
        return (
            f"{consent.get_purpose_display()} consent to {recipient} ({classes}), "
            f"signed {consent.signed_on.isoformat()}, {until}"
        )


class ConsentOverrideSerializer(serializers.Serializer):
    """An emergency referral sent without a consent that allows it."""

    reason = serializers.CharField(source="consent_override_reason", read_only=True)
    by = serializers.IntegerField(
        source="consent_override_by_id", read_only=True, allow_null=True
    )
    by_name = serializers.SerializerMethodField()
    at = serializers.DateTimeField(source="consent_override_at", read_only=True)

    def get_by_name(self, referral: Referral) -> str | None:
        return _user_name(referral.consent_override_by)


class ReferralDetailSerializer(ReferralSerializer):
    """One referral with its need, consent, history and next moves."""

    reason = serializers.CharField(read_only=True)
    info_classes = ChoiceListField(choices=InfoClass, read_only=True)
    encounter = serializers.IntegerField(
        source="encounter_id", read_only=True, allow_null=True
    )
    created_by = serializers.IntegerField(source="created_by_id", read_only=True)
    consent = ConsentRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The consent it was sent under; null while a draft, or when "
        "sent under an emergency override.",
    )
    consent_override = serializers.SerializerMethodField()
    status_reason = BlankAsNullChoiceField(choices=ReasonCode.choices)
    declined_by = BlankAsNullChoiceField(choices=DeclinedBy.choices)
    history = HistorySerializer(many=True, read_only=True)
    notes_count = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="The moves open from this status: POST "
        "/api/v1/referrals/{id}/<action>/."
    )

    class Meta(ReferralSerializer.Meta):
        fields = ReferralSerializer.Meta.fields + [
            "reason",
            "info_classes",
            "encounter",
            "created_by",
            "consent",
            "consent_override",
            "status_reason",
            "declined_by",
            "outcome_note",
            "history",
            "notes_count",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(ConsentOverrideSerializer(allow_null=True))
    def get_consent_override(self, referral: Referral) -> dict[str, Any] | None:
        if not referral.consent_override_reason:
            return None
        return dict(ConsentOverrideSerializer(referral).data)

    def get_notes_count(self, referral: Referral) -> int:
        # referral_get_for prefetches the notes.
        return len(referral.notes.all())

    def get_actions(self, referral: Referral) -> list[str]:
        return [
            _api_action(m.action)
            for m in moves_from(referral.status)
            if m.actor != "system"
        ]


class ReferralGroupResultSerializer(serializers.Serializer):
    group = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Null when one service was given."
    )
    referrals = ReferralDetailSerializer(many=True, read_only=True)


# --- requests -----------------------------------------------------------------


class _ReferralInput(StrictSerializer):
    """What a new referral says, whatever it is sent to."""

    person = IdField(help_text="The person referred.")
    reason = StrictCharField(
        max_length=REASON_LENGTH, help_text="The reason / presenting need."
    )
    info_classes = ChoiceListField(
        choices=InfoClass,
        required=False,
        help_text="What information it carries to the agency (the consent must "
        "cover each); default general.",
    )
    urgency = StrictChoiceField(choices=Urgency.choices, required=False)
    is_involuntary = StrictBooleanField(required=False)
    assigned_to = IdField(
        required=False, help_text="A caseworker of the program; defaults to you."
    )
    respond_by = StrictDateField(
        required=False,
        help_text="When the agency should answer by (today or later); defaults "
        "by urgency (the program's settings).",
    )
    encounter = IdField(
        required=False, allow_null=True, help_text="The encounter it came from."
    )
    consent = IdField(
        required=False,
        allow_null=True,
        help_text="The person's consent it relies on; by default the consent "
        "selector finds one that allows it.",
    )
    consent_override_reason = StrictCharField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Emergency only: send although no consent allows it (why; "
        "recorded and audited).",
    )


class ReferralCreateSerializer(_ReferralInput):
    service = IdField(
        required=False, allow_null=True, help_text="The service referred to."
    )
    agency = IdField(
        required=False,
        allow_null=True,
        help_text="The agency, when no particular service (else the service's).",
    )
    send = StrictBooleanField(
        required=False,
        default=False,
        help_text="Send it at once (requested; the consent gate decides) "
        "rather than keep a draft.",
    )


class ReferralGroupCreateSerializer(_ReferralInput):
    services = serializers.ListField(
        child=IdField(),
        min_length=1,
        max_length=MAX_GROUP_SIZE,
        help_text=f"Up to {MAX_GROUP_SIZE} services, each its own referral, "
        "sent at once; the first to accept wins, the others are cancelled as "
        '"placed elsewhere".',
    )


class ReferralUpdateSerializer(StrictSerializer):
    """The fields of an open referral that may change."""

    # What a client may read but not PATCH, and how it does change.
    FIXED = {
        **dict.fromkeys(
            ("status", "outcome", "status_reason", "declined_by", "outcome_note"),
            "use the referral's actions (accept, reject, complete …)",
        ),
        **dict.fromkeys(
            ("person", "agency", "service", "encounter", "info_classes", "group"),
            "a referral's person, recipient and contents cannot change: mark it "
            "entered-in-error and make a new one",
        ),
        "consent": "the consent is found when the referral is sent",
        "consent_override_reason": "an override is given when the referral is sent",
    }

    reason = StrictCharField(max_length=REASON_LENGTH, required=False)
    urgency = StrictChoiceField(choices=Urgency.choices, required=False)
    respond_by = StrictDateField(required=False)
    assigned_to = IdField(required=False)
    is_involuntary = StrictBooleanField(required=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fixed = {
                key: [f"Cannot change; {hint}."]
                for key, hint in self.FIXED.items()
                if key in data
            }
            if fixed:
                raise serializers.ValidationError(fixed, code="not_writable")
        return super().to_internal_value(data)


class _MoveSerializer(StrictSerializer):
    note = StrictCharField(
        max_length=NOTE_LENGTH, required=False, allow_blank=True, default=""
    )
    followup_due_at = LocalDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Also schedule a follow-up call with the person then (e.g. "
        "three days after an acceptance). Without an offset, in the "
        "referral's program time zone.",
    )


class RequestSerializer(_MoveSerializer):
    consent_override_reason = StrictCharField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Emergency only: send although no consent allows it.",
    )


class _ReasonedMoveSerializer(_MoveSerializer):
    reason_code = StrictChoiceField(
        choices=ReasonCode.choices,
        required=False,
        default="",
        help_text='Required. "other" needs a note.',
    )
    declined_by = StrictChoiceField(
        choices=DeclinedBy.choices,
        required=False,
        default="",
        help_text="Who declined: the agency or the person.",
    )


class RejectSerializer(_ReasonedMoveSerializer):
    pass


class CancelSerializer(_ReasonedMoveSerializer):
    pass


class CompleteSerializer(_MoveSerializer):
    outcome = StrictChoiceField(
        choices=ReferralOutcome.choices,
        required=False,
        default="",
        help_text="Required: how it ended.",
    )


class NoteMoveSerializer(_MoveSerializer):
    """A move that takes only a note (and a proposed follow-up)."""


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.IntegerField(source="author_id", read_only=True)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = ReferralNote
        fields = ["id", "author", "author_name", "by_agency", "text", "created_at"]
        read_only_fields = fields

    def get_author_name(self, note: ReferralNote) -> str | None:
        return _user_name(note.author)


class NoteCreateSerializer(StrictSerializer):
    text = StrictCharField(max_length=NOTE_TEXT_LENGTH)
