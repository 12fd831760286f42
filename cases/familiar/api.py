"""REST API for the familiar-faces list: ``/api/v1/familiar-faces/``.

The same rows as the page (``familiar_faces_rows``) with the reason a person
is on the list. Staff of a program read its list; its program managers
dismiss flags and enroll people. The access functions of
``cases.familiar.selectors`` decide, as for the pages: a navigator of the
program gets 403, anyone else 404. Admins and partners hold no staff role:
their list is empty.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict

from cases.familiar import selectors, services
from cases.familiar.filters import FamiliarFaceFilter
from cases.models import (
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FlagStatus,
)
from navigator.api.fields import StrictCharField, StrictIntegerField
from navigator.api.schema import errors
from navigator.api.serializers import MAX_ID, ReasonSerializer, StrictSerializer
from navigator.api.views import ApiViewMixin
from navigator.errors import DomainError
from navigator.http import AuthedApiRequest
from navigator.models import User

# --- shapes ------------------------------------------------------------------


class FamiliarFacePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class FamiliarFaceUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class FamiliarFaceRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(source="describe")
    min_encounters = serializers.IntegerField()
    window_days = serializers.IntegerField()


class FamiliarFaceReasonSerializer(serializers.Serializer):
    """Why the person is on the list: the rule, the count, the window and
    the encounters that made it (newest first)."""

    rule_id = serializers.IntegerField(source="flag.rule_id")
    rule_description = serializers.CharField(source="rule.describe")
    summary = serializers.CharField(source="reason")
    encounter_count = serializers.IntegerField(source="flag.encounter_count")
    window_start = serializers.DateTimeField(source="flag.window_start")
    window_end = serializers.DateTimeField(source="flag.window_end")
    encounter_ids = serializers.ListField(
        child=serializers.IntegerField(), source="flag.encounter_ids"
    )


class CodeLabelSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code, as in the encounters API.")
    # DRF's serializer metaclass pops declared fields off the class, so this
    # names the output key and never shadows ``Field.label`` (the stubs
    # cannot tell).
    label = serializers.CharField()  # type: ignore[assignment]


class FamiliarFaceEnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    navigator = FamiliarFaceUserSerializer()
    enrolled_at = serializers.DateTimeField()


class FamiliarFaceSerializer(serializers.Serializer):
    """One row of the list (a row dict of ``familiar_faces_rows``)."""

    id = serializers.IntegerField(source="flag.id", help_text="The flag's id.")
    status = serializers.ChoiceField(
        source="flag.status",
        choices=FlagStatus.choices,
        help_text="`active`: on the list. The list holds active flags only; "
        "the detail also answers for past ones.",
    )
    program = serializers.IntegerField(source="flag.program_id")
    person = FamiliarFacePersonSerializer()
    rule = FamiliarFaceRuleSerializer()
    reason = FamiliarFaceReasonSerializer(source="*")
    contacts = serializers.IntegerField(
        help_text="Matching encounters in the rule's window."
    )
    previous_contacts = serializers.IntegerField(
        help_text="Matching encounters in the window of the same length before."
    )
    trend = serializers.ChoiceField(choices=["up", "down", "same"])
    last_contact = serializers.DateTimeField(allow_null=True)
    top_concerns = CodeLabelSerializer(
        many=True,
        source="top_concern_items",
        help_text="The most frequent concerns of the encounters in the window "
        "(up to 3, most frequent first).",
    )
    dispositions = CodeLabelSerializer(
        many=True,
        source="disposition_items",
        help_text="The most frequent dispositions of the encounters in the "
        "window (up to 3, most frequent first).",
    )
    overdue_followups = serializers.IntegerField()
    navigator = FamiliarFaceUserSerializer(
        allow_null=True, help_text="The enrollment's assigned navigator."
    )
    enrollment = FamiliarFaceEnrollmentSerializer(allow_null=True)
    enrollment_status = serializers.ChoiceField(choices=["enrolled", "not enrolled"])


class FamiliarFaceEnrollSerializer(StrictSerializer):
    navigator = StrictIntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="User id of a staff member of the person's program.",
    )
    plan = StrictCharField(
        max_length=FamiliarFaceEnrollment._meta.get_field("plan").max_length,
        required=False,
        allow_blank=True,
        default="",
    )


# --- views -------------------------------------------------------------------


def _detail(user: User, flag_id: int) -> ReturnDict:
    flag = selectors.familiar_face_detail_for(user=user, flag_id=flag_id)
    rows = selectors.familiar_faces_rows([flag])
    # Concerns and dispositions of a person's encounters: a record read.
    services.familiar_rows_shown(by=user, rows=rows, listed=False)
    return FamiliarFaceSerializer(rows[0]).data


def _data(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(
        summary="People on the familiar-faces list of your programs (filter)",
        responses={200: FamiliarFaceSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One flag, active or past, with why (the view is audited)",
        responses={200: FamiliarFaceSerializer, **errors(404)},
    ),
)
@extend_schema(tags=["familiar-faces"])
class FamiliarFaceViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """The familiar-faces list: people with repeated contacts under their
    program's rules, most contacts first, each with why.

    Program managers `dismiss` a flag (reason required; the person comes
    back only with new contacts) or `enroll` the person in intensive
    follow-up. A navigator of the program gets 403 on those; a flag that is
    no longer on the list, or a person already enrolled, is 409.
    """

    serializer_class = FamiliarFaceSerializer
    filterset_class = FamiliarFaceFilter
    queryset = FamiliarFaceFlag.objects.none()  # schema only; requests are scoped

    def get_queryset(self):
        return selectors.familiar_faces_for(user=self.request.user)

    def list(self, request: AuthedApiRequest) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = selectors.familiar_faces_rows(page)
        services.familiar_rows_shown(by=request.user, rows=rows)
        return self.get_paginated_response(FamiliarFaceSerializer(rows, many=True).data)

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        return Response(_detail(request.user, pk))

    @extend_schema(
        summary="Dismiss a flag: off the list until new contacts (managers)",
        request=ReasonSerializer,
        responses={200: FamiliarFaceSerializer, **errors(400, 404, 409, 413)},
    )
    def dismiss(self, request: AuthedApiRequest, pk: int) -> Response:
        flag = selectors.familiar_face_detail_for(
            user=request.user, flag_id=pk, action="dismiss"
        )
        data = _data(ReasonSerializer(data=request.data))
        services.familiar_flag_dismiss(
            by=request.user, flag=flag, reason=data["reason"]
        )
        return Response(_detail(request.user, flag.pk))

    @extend_schema(
        summary="Enroll the person in intensive follow-up (managers)",
        request=FamiliarFaceEnrollSerializer,
        responses={200: FamiliarFaceSerializer, **errors(400, 404, 409, 413)},
    )
    def enroll(self, request: AuthedApiRequest, pk: int) -> Response:
        flag = selectors.familiar_face_detail_for(
            user=request.user, flag_id=pk, action="enroll"
        )
        data = _data(FamiliarFaceEnrollSerializer(data=request.data))
        navigator = (
            selectors.enrollment_navigators_for(program_id=flag.program_id)
            .filter(pk=data["navigator"])
            .first()
        )
        if navigator is None:
            # Not the caller's colleague, or no such user: the same answer.
            raise DomainError.for_field(
                "navigator",
                "Choose a staff member of the person's program.",
                code="not_found",
            )
        services.familiar_enroll(
            by=request.user, person=flag.person, navigator=navigator, plan=data["plan"]
        )
        return Response(_detail(request.user, flag.pk))
