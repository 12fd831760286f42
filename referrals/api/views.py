"""The staff referral API: ``/api/v1/referrals/``.

Thin like ``cases.api.views``: parse with a serializer, resolve the ids the
body names through the scoped selectors, call one service, respond. Another
program's referral is a 404 for every verb (``referral_get_for`` asks
``referral_access``); an id in the body that is missing or not the caller's
(person, agency, service, encounter, consent, assignee) is a 400 naming the
field. The services answer the rest: an illegal move is a 409
``invalid_transition`` naming the allowed ones, a missing reason a 400 on
``reason_code``, no consent a 409 ``consent_required`` on ``consent``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from cases import selectors as case_selectors
from cases.consents.selectors import consent_get_for
from cases.models import Consent, Encounter, InfoClass, Person
from navigator import disclosure
from navigator.api.schema import errors
from navigator.api.views import ApiViewMixin
from navigator.errors import DomainError, NotFound
from navigator.http import AuthedApiRequest
from navigator.models import Program, User
from navigator.selectors import colleague_get_for
from referrals import selectors, services
from referrals.api.filters import ReferralApiFilter
from referrals.api.serializers import (
    CancelSerializer,
    CompleteSerializer,
    NoteCreateSerializer,
    NoteMoveSerializer,
    NoteSerializer,
    ReferralCreateSerializer,
    ReferralDetailSerializer,
    ReferralGroupCreateSerializer,
    ReferralGroupResultSerializer,
    ReferralSerializer,
    ReferralUpdateSerializer,
    RejectSerializer,
    RequestSerializer,
    referral_list_items,
)
from referrals.models import Agency, Referral, Service, Urgency
from referrals.services import ReferralChanges, ReferralData

T = TypeVar("T")


def _data(serializer: Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _in_body(field: str, lookup: Callable[..., T], **kwargs: Any) -> T:
    # An id in the body that is missing or not the caller's is bad input on
    # that field (400), not a missing URL (404), and says no more than "not
    # found" either way.
    try:
        return lookup(**kwargs)
    except NotFound as exc:
        raise DomainError.for_field(field, exc.detail, code="not_found") from None


def _user(request: AuthedApiRequest, user_id: int | None) -> User | None:
    """A colleague of the caller's programs (the service then checks that
    they work in the referral's own program)."""
    if user_id is None:
        return None
    user = colleague_get_for(user=request.user, pk=user_id)
    if user is None:
        raise DomainError.for_field(
            "assigned_to",
            "Choose a caseworker of the person's program.",
            code="not_found",
        )
    return user


def _in_program_zone(
    value: datetime.datetime | None, program: Program
) -> datetime.datetime | None:
    # Without an offset, a time is the wall clock of the referral's program.
    if value is None or not timezone.is_naive(value):
        return value
    return value.replace(tzinfo=program.tz)


def _referral_data(request: AuthedApiRequest, data: dict[str, Any]) -> ReferralData:
    user = request.user
    person: Person = _in_body(
        "person", case_selectors.person_get_for, user=user, person_id=data["person"]
    )
    encounter: Encounter | None = None
    if data.get("encounter") is not None:
        encounter = _in_body(
            "encounter",
            case_selectors.encounter_get_for,
            user=user,
            encounter_id=data["encounter"],
        )
    consent: Consent | None = None
    if data.get("consent") is not None:
        consent = _in_body("consent", consent_get_for, user=user, pk=data["consent"])
    agency: Agency | None = None
    if data.get("agency") is not None:
        agency = _in_body(
            "agency", selectors.agency_get_for, user=user, pk=data["agency"]
        )
    service: Service | None = None
    if data.get("service") is not None:
        service = _in_body(
            "service", selectors.service_get_for, user=user, pk=data["service"]
        )
    return ReferralData(
        person=person,
        reason=data["reason"],
        agency=agency,
        service=service,
        encounter=encounter,
        info_classes=data.get("info_classes", [InfoClass.GENERAL]),
        urgency=data.get("urgency", Urgency.ROUTINE),
        is_involuntary=data.get("is_involuntary", False),
        assigned_to=_user(request, data.get("assigned_to")),
        respond_by=data.get("respond_by"),
        consent=consent,
        consent_override_reason=data.get("consent_override_reason", ""),
    )


def _detail(request: AuthedApiRequest, referral: Referral) -> dict[str, Any]:
    """The referral as the detail shows it, read again through the scoped
    selector (with its history and notes). Showing it opens the person's
    referral, and the consent it relies on; a write's own event covers the
    answer to it."""
    referral = selectors.referral_get_for(user=request.user, pk=referral.pk)
    disclosure.record_opened(by=request.user, record=referral, kind=disclosure.REFERRAL)
    if referral.consent is not None:
        disclosure.note(
            by=request.user,
            person_id=referral.person_id,
            program_id=referral.program_id,
            kind=disclosure.CONSENT,
            object_id=referral.consent_id,
        )
    return ReferralDetailSerializer(referral).data


MOVE_ERRORS = errors(400, 404, 409, 413)


@extend_schema_view(
    list=extend_schema(
        summary="Referrals of your programs (filter)",
        responses={200: ReferralSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One referral, with its history (the view is audited)",
        responses={200: ReferralDetailSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Make a referral (a draft, or sent at once with `send`)",
        description="`service`, or `agency` for no particular service. With "
        "`send: true` the consent gate decides: no consent that allows what it "
        "carries to the agency is a 409 `consent_required` on `consent` (an "
        "emergency may send with `consent_override_reason`), and nothing is "
        "stored. Unknown or out-of-scope ids, a service of another agency, a "
        "respond-by date in the past: 400 naming the field.",
        request=ReferralCreateSerializer,
        responses={201: ReferralDetailSerializer, **errors(400, 409, 413)},
    ),
    partial_update=extend_schema(
        summary="Change an open referral's need, urgency, respond-by date, "
        "assignee or voluntariness",
        description="Anything else is a 400 naming the field (status moves "
        "through the actions). A closed referral is a 409.",
        request=ReferralUpdateSerializer,
        responses={200: ReferralDetailSerializer, **errors(400, 404, 409, 413)},
    ),
)
@extend_schema(tags=["referrals"])
class ReferralViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Referrals to partner agencies, through their whole life.

    Statuses are FHIR R4 Task codes. One action per move, `POST
    /api/v1/referrals/{id}/<action>/`: `request` (send; the consent gate),
    `accept`, `reject` (`reason_code`), `start`, `hold`, `resume`,
    `complete` (`outcome`), `cancel` (`reason_code`), `enter-in-error`.
    Staff record the agency's answers on its behalf (`history[].
    on_behalf_of_agency`). An illegal move is a 409 `invalid_transition`
    naming the allowed ones; `actions` on the detail lists them. Any move
    may propose a follow-up call (`followup_due_at`).
    """

    serializer_class = ReferralSerializer
    filterset_class = ReferralApiFilter
    queryset = Referral.objects.none()  # schema only; requests are scoped

    def get_queryset(self):
        return selectors.referral_list_for(user=self.request.user)

    def list(self, request: AuthedApiRequest) -> Response:
        # Read as values (selectors.referral_rows), shaped as ReferralSerializer.
        rows = selectors.referral_rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        disclosure.records_shown(
            by=request.user, records=page, kind=disclosure.REFERRAL_SUMMARY, named=True
        )
        return self.get_paginated_response(referral_list_items(page))

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        referral = selectors.referral_get_for(user=request.user, pk=pk)
        return Response(_detail(request, referral))

    def create(self, request: AuthedApiRequest) -> Response:
        data = _data(ReferralCreateSerializer(data=request.data))
        referral = services.referral_create(
            by=request.user, data=_referral_data(request, data), send=data["send"]
        )
        return Response(_detail(request, referral), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Send one need to up to 3 services at once (a group)",
        description="Each service gets its own referral, all sent (requested) "
        "at once; the first to accept wins and the others are cancelled as "
        '"placed elsewhere". All or none: if the consent gate refuses one, none '
        "is sent (409 `consent_required`).",
        request=ReferralGroupCreateSerializer,
        responses={201: ReferralGroupResultSerializer, **errors(400, 409, 413)},
    )
    def send_group(self, request: AuthedApiRequest) -> Response:
        data = _data(ReferralGroupCreateSerializer(data=request.data))
        need = _referral_data(request, data)
        chosen = [
            _in_body("services", selectors.service_get_for, user=request.user, pk=pk)
            for pk in data["services"]
        ]
        sent = services.referral_send_group(by=request.user, data=need, services=chosen)
        return Response(
            {
                "group": sent[0].group_id,
                "referrals": [_detail(request, r) for r in sent],
            },
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request: AuthedApiRequest, pk: int) -> Response:
        referral = selectors.referral_get_for(user=request.user, pk=pk, action="edit")
        data = _data(ReferralUpdateSerializer(data=request.data, partial=True))
        referral = services.referral_update(
            by=request.user,
            referral=referral,
            changes=ReferralChanges(
                reason=data.get("reason"),
                urgency=data.get("urgency"),
                respond_by=data.get("respond_by"),
                assigned_to=_user(request, data.get("assigned_to")),
                is_involuntary=data.get("is_involuntary"),
            ),
        )
        return Response(_detail(request, referral))

    def _move(
        self, request: AuthedApiRequest, pk: int, action: str, serializer: type
    ) -> Response:
        referral = selectors.referral_get_for(user=request.user, pk=pk)
        data = _data(serializer(data=request.data))
        referral = services.referral_act(
            by=request.user,
            referral=referral,
            action=action,
            reason_code=data.get("reason_code", ""),
            declined_by=data.get("declined_by", ""),
            note=data.get("note", ""),
            outcome=data.get("outcome", ""),
            consent_override_reason=data.get("consent_override_reason", ""),
            followup_due_at=_in_program_zone(
                data.get("followup_due_at"), referral.program
            ),
        )
        return Response(_detail(request, referral))

    @extend_schema(
        summary="Send a draft (draft → requested; the consent gate decides)",
        description="No consent that allows what it carries to the agency: 409 "
        "`consent_required` on `consent`. An emergency referral may go with "
        "`consent_override_reason` (recorded and audited); any other is a 400 "
        "on it.",
        request=RequestSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def request_(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "request", RequestSerializer)

    @extend_schema(
        summary="Accept on the agency's behalf (requested → accepted)",
        description="The others of its group are cancelled as placed elsewhere.",
        request=NoteMoveSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def accept(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "accept", NoteMoveSerializer)

    @extend_schema(
        summary="Decline on the agency's behalf (requested → rejected; "
        "`reason_code` required)",
        request=RejectSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def reject(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "reject", RejectSerializer)

    @extend_schema(
        summary="The agency started (accepted → in-progress)",
        request=NoteMoveSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def start(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "start", NoteMoveSerializer)

    @extend_schema(
        summary="Put on hold (in-progress → on-hold)",
        request=NoteMoveSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def hold(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "hold", NoteMoveSerializer)

    @extend_schema(
        summary="Resume (on-hold → in-progress)",
        request=NoteMoveSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def resume(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "resume", NoteMoveSerializer)

    @extend_schema(
        summary="Complete with an outcome (in-progress → completed; `outcome` "
        "required)",
        request=CompleteSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def complete(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "complete", CompleteSerializer)

    @extend_schema(
        summary="Cancel (requested / accepted / in-progress → cancelled; "
        "`reason_code` required)",
        request=CancelSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def cancel(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "cancel", CancelSerializer)

    @extend_schema(
        summary="Mark entered in error (draft / requested → entered-in-error)",
        request=NoteMoveSerializer,
        responses={200: ReferralDetailSerializer, **MOVE_ERRORS},
    )
    def enter_in_error(self, request: AuthedApiRequest, pk: int) -> Response:
        return self._move(request, pk, "enter_in_error", NoteMoveSerializer)


@extend_schema_view(
    list=extend_schema(
        summary="A referral's notes, oldest first (the view is audited)",
        responses={200: NoteSerializer(many=True), **errors(404)},
    ),
    create=extend_schema(
        summary="Add a note to a referral's thread",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, **errors(400, 404, 409, 413)},
    ),
)
@extend_schema(tags=["referrals"])
class ReferralNoteViewSet(ApiViewMixin, viewsets.GenericViewSet):
    serializer_class = NoteSerializer
    filter_backends: list = []
    queryset = Referral.objects.none()  # schema only

    def list(self, request: AuthedApiRequest, referral_pk: int) -> Response:
        referral = selectors.referral_get_for(user=request.user, pk=referral_pk)
        notes = self.paginate_queryset(selectors.referral_notes_for(referral=referral))
        _referral_opened(request, referral)
        return self.get_paginated_response(NoteSerializer(notes, many=True).data)

    def create(self, request: AuthedApiRequest, referral_pk: int) -> Response:
        referral = selectors.referral_get_for(
            user=request.user, pk=referral_pk, action="note"
        )
        data = _data(NoteCreateSerializer(data=request.data))
        note = services.referral_note_add(
            by=request.user, referral=referral, text=data["text"]
        )
        _referral_opened(request, referral)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


def _referral_opened(request: AuthedApiRequest, referral: Referral) -> None:
    disclosure.record_opened(by=request.user, record=referral, kind=disclosure.REFERRAL)
