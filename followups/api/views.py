"""REST API for follow-ups and, for program managers, reminder deliveries.

Thin like ``cases.api.views``: parse with a serializer, resolve the ids it
names through scoped selectors, call one service, respond. Another program's
follow-up is a 404 because ``followup_get_for`` asks ``followup_access`` (as
the pages do); an id in the
body that is not the caller's (person, contact, encounter, assignee) is a 400
naming that field, as in the encounters API.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from cases import selectors as cases_selectors
from cases.models import Encounter, FamilyContact
from followups import selectors, services
from followups.api.serializers import (
    DeliverySerializer,
    FollowupAttemptSerializer,
    FollowupCompleteSerializer,
    FollowupDetailSerializer,
    FollowupMissedSerializer,
    FollowupSerializer,
    FollowupUpdateSerializer,
)
from followups.filters import DeliveryFilter, FollowupFilter
from followups.models import Delivery, Followup, Priority
from navigator import disclosure
from navigator.api.schema import errors
from navigator.api.serializers import ReasonSerializer
from navigator.api.views import ApiViewMixin, reason_from
from navigator.errors import DomainError, NotFound
from navigator.http import AuthedApiRequest
from navigator.models import Program, User

T = TypeVar("T")


def _data(serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _in_body(field: str, lookup: Callable[..., T], **kwargs: Any) -> T:
    # An id sent in the body that is missing or not the caller's is bad input
    # on that field (400), not a missing URL (404), and says no more than
    # "not found" either way.
    try:
        return lookup(**kwargs)
    except NotFound as exc:
        raise DomainError.for_field(field, exc.detail, code="not_found") from None


def _in_program_zone(value: datetime.datetime, program: Program) -> datetime.datetime:
    # Without an offset, a due time is the wall clock of the follow-up's own
    # program, whichever program the caller belongs to first.
    return value.replace(tzinfo=program.tz) if timezone.is_naive(value) else value


def _when(value: datetime.datetime | None, program: Program):
    return None if value is None else _in_program_zone(value, program)


def _assignee(program: Program, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = selectors.assignable_users_for(program=program).filter(pk=user_id).first()
    if user is None:
        raise DomainError.for_field(
            "assigned_to",
            "Assign the follow-up to a staff member of the program.",
            code="not_found",
        )
    return user


def _contact(request: AuthedApiRequest, contact_id: int | None) -> FamilyContact | None:
    if contact_id is None:
        return None
    return _in_body(
        "contact",
        cases_selectors.family_contact_get_for,
        user=request.user,
        contact_id=contact_id,
    )


def _encounter(request: AuthedApiRequest, encounter_id: int | None) -> Encounter | None:
    if encounter_id is None:
        return None
    return _in_body(
        "encounter",
        cases_selectors.encounter_get_for,
        user=request.user,
        encounter_id=encounter_id,
    )


def _detail(request: AuthedApiRequest, followup: Followup) -> dict:
    # Purpose and outcome notes are part of the person's record; a write's
    # own event covers the answer to it.
    disclosure.record_opened(by=request.user, record=followup, kind=disclosure.FOLLOWUP)
    return FollowupDetailSerializer(followup).data


@extend_schema_view(
    list=extend_schema(
        summary="Follow-ups in your programs (filter)",
        responses={200: FollowupSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One follow-up (the view is audited on the person's record)",
        responses={200: FollowupDetailSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Schedule a follow-up",
        request=FollowupSerializer,
        responses={201: FollowupDetailSerializer, **errors(400, 409, 413)},
    ),
    partial_update=extend_schema(
        summary="Reschedule, reassign or change a scheduled follow-up",
        request=FollowupUpdateSerializer,
        responses={200: FollowupDetailSerializer, **errors(400, 404, 409, 413)},
    ),
)
@extend_schema(tags=["followups"])
class FollowupViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Follow-ups with people served and their families.

    Only a scheduled follow-up can change, be tried or be closed (attempt,
    complete, missed, cancel); anything else is 409 `invalid_transition`.
    An unanswered try (`no_answer`, `left_message`) is an `attempt`: the
    follow-up stays open and is due again after the program's retry time;
    the try that reaches the program's limit tells its managers
    (`escalated_at`). `undo` reopens a follow-up you completed or marked
    missed within the last 10 minutes (a mis-tap), as the page's Undo does. Times without a UTC
    offset are read in the time zone of the person's program. `overdue=true`
    lists the scheduled ones past their due time.
    """

    serializer_class = FollowupSerializer
    filterset_class = FollowupFilter
    queryset = Followup.objects.none()  # schema only; requests are scoped

    def get_queryset(self):
        return selectors.followup_list_detailed_for(user=self.request.user)

    def list(self, request: AuthedApiRequest) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        disclosure.records_shown(
            by=request.user, records=page, kind=disclosure.FOLLOWUP, named=True
        )
        return self.get_paginated_response(FollowupSerializer(page, many=True).data)

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        followup = selectors.followup_get_for(user=request.user, followup_id=pk)
        return Response(_detail(request, followup))

    def create(self, request: AuthedApiRequest) -> Response:
        data = _data(FollowupSerializer(data=request.data))
        person = _in_body(
            "person",
            cases_selectors.person_get_for,
            user=request.user,
            person_id=data["person_id"],
        )
        followup = services.followup_schedule(
            by=request.user,
            person=person,
            due_at=_in_program_zone(data["due_at"], person.program),
            method=data["method"],
            assigned_to=_assignee(person.program, data.get("assigned_to_id")),
            contact=_contact(request, data.get("contact_id")),
            purpose=data.get("purpose", ""),
            priority=data.get("priority", Priority.ROUTINE),
            encounter=_encounter(request, data.get("encounter_id")),
            remind_person=data.get("remind_person", False),
        )
        return Response(_detail(request, followup), status=status.HTTP_201_CREATED)

    def partial_update(self, request: AuthedApiRequest, pk: int) -> Response:
        followup = selectors.followup_get_for(
            user=request.user, followup_id=pk, action="edit"
        )
        data = _data(
            FollowupUpdateSerializer(followup, data=request.data, partial=True)
        )
        due_at = data.pop("due_at", None)
        if "contact_id" in data:
            data["contact"] = _contact(request, data.pop("contact_id"))
        followup = services.followup_update(
            by=request.user,
            followup=followup,
            due_at=(
                _in_program_zone(due_at, followup.program)
                if due_at is not None
                else None
            ),
            assigned_to=_assignee(followup.program, data.pop("assigned_to_id", None)),
            reason=data.pop("reason", ""),
            # Echoed from a read; the service refuses another value.
            person=data.pop("person_id", None),
            encounter=data.pop("encounter_id", ...),
            data=data,
        )
        return Response(_detail(request, followup))

    @extend_schema(
        summary="Complete a scheduled follow-up with its outcome",
        request=FollowupCompleteSerializer,
        responses={200: FollowupDetailSerializer, **errors(400, 404, 409, 413)},
    )
    def complete(self, request: AuthedApiRequest, pk: int) -> Response:
        followup = selectors.followup_get_for(
            user=request.user, followup_id=pk, action="complete"
        )
        data = _data(FollowupCompleteSerializer(data=request.data))
        followup = services.followup_complete(
            by=request.user,
            followup=followup,
            outcome=data["outcome"],
            notes=data["notes"],
            completed_at=_when(data["completed_at"], followup.program),
        )
        return Response(_detail(request, followup))

    @extend_schema(
        summary="Mark a scheduled follow-up as missed",
        request=FollowupMissedSerializer,
        responses={200: FollowupDetailSerializer, **errors(400, 404, 409, 413)},
    )
    def missed(self, request: AuthedApiRequest, pk: int) -> Response:
        followup = selectors.followup_get_for(
            user=request.user, followup_id=pk, action="missed"
        )
        data = _data(FollowupMissedSerializer(data=request.data))
        followup = services.followup_mark_missed(
            by=request.user,
            followup=followup,
            notes=data["notes"],
            completed_at=_when(data["completed_at"], followup.program),
        )
        return Response(_detail(request, followup))

    @extend_schema(
        summary="Cancel a scheduled follow-up (reason required)",
        request=ReasonSerializer,
        responses={200: FollowupDetailSerializer, **errors(400, 404, 409, 413)},
    )
    def cancel(self, request: AuthedApiRequest, pk: int) -> Response:
        followup = selectors.followup_get_for(
            user=request.user, followup_id=pk, action="cancel"
        )
        followup = services.followup_cancel(
            by=request.user,
            followup=followup,
            reason=reason_from(request, required=True),
        )
        return Response(_detail(request, followup))

    @extend_schema(
        summary="Record an unsuccessful try; the follow-up stays open and is "
        "rescheduled",
        request=FollowupAttemptSerializer,
        responses={200: FollowupDetailSerializer, **errors(400, 404, 409, 413)},
    )
    def attempt(self, request: AuthedApiRequest, pk: int) -> Response:
        followup = selectors.followup_get_for(user=request.user, followup_id=pk)
        data = _data(FollowupAttemptSerializer(data=request.data))
        attempt = services.followup_attempt(
            by=request.user,
            followup=followup,
            method=data["method"],
            outcome=data["outcome"],
            note=data["note"],
            at=_when(data["at"], followup.program),
        )
        return Response(_detail(request, attempt.followup))

    @extend_schema(
        summary="Undo your own completion (or missed) of the last 10 minutes",
        request=None,
        responses={200: FollowupDetailSerializer, **errors(403, 404, 409)},
    )
    def undo(self, request: AuthedApiRequest, pk: int) -> Response:
        followup = selectors.followup_get_for(user=request.user, followup_id=pk)
        followup = services.followup_undo_close(by=request.user, followup=followup)
        return Response(_detail(request, followup))


@extend_schema_view(
    list=extend_schema(
        summary="Reminder deliveries of the programs you manage",
        responses={200: DeliverySerializer(many=True), **errors(400, 403)},
    ),
)
@extend_schema(tags=["followups"])
class DeliveryViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Every email / SMS reminder sent or tried, newest first.

    For program managers: the list holds the deliveries of the programs you
    manage; anyone who manages no program gets 403, as on the page.
    Recipients are masked; texts never carry health information.
    """

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    queryset = Delivery.objects.none()  # schema only; requests are scoped

    def get_queryset(self):
        return selectors.delivery_list_for_manager(user=self.request.user)

    def list(self, request: AuthedApiRequest) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.deliveries_shown(by=request.user, deliveries=page)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
