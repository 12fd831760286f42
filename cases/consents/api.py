"""REST API of consents: ``/api/v1/people/{id}/consents/`` (list, record),
``/api/v1/consents/{id}/`` (with how it stands and what 42 CFR §2.31
elements it lacks), ``…/revoke/``, and ``…/form/`` (the scanned form:
download with GET, attach with a multipart POST).

A consent is recorded as JSON, like every other write of the API; its
scanned form, a file, goes up separately as ``multipart/form-data`` (field
``form``), once. Thin: the selectors scope (another program's consent is a
404), the services hold every rule (bad input is a 400 naming the field).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from cases import selectors as person_selectors
from cases.consents import selectors, services
from cases.consents.rules import PART2_ELEMENTS
from cases.consents.selectors import ConsentSummary
from cases.consents.services import ConsentData
from cases.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    InfoClass,
    Person,
    RecipientKind,
    RevokeMethod,
)
from navigator import disclosure
from navigator.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictIntegerField,
)
from navigator.api.schema import errors
from navigator.api.serializers import MAX_ID, ChoiceListField, StrictSerializer
from navigator.api.views import ApiViewMixin
from navigator.fields import REASON_MAX_LENGTH
from navigator.http import AuthedApiRequest
from navigator.models import User
from navigator.uploads import EXTENSIONS as ACCEPTED_TYPES
from navigator.uploads import stored_file_response


def _max(name: str) -> int:
    field = Consent._meta.get_field(name)
    return int(getattr(field, "max_length", 0) or 0)


# --- shapes ------------------------------------------------------------------


class Part2ElementSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=sorted(PART2_ELEMENTS))
    label = serializers.CharField()  # type: ignore[assignment]


class StoredFileSerializer(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


def _user_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


class ConsentSerializer(serializers.Serializer):
    """A consent with how it stands today (``standing``) and, for
    substance-use information, which §2.31 elements it lacks."""

    id = serializers.IntegerField(source="consent.pk")
    person = serializers.IntegerField(source="consent.person_id")
    recipient_kind = serializers.ChoiceField(
        source="consent.recipient_kind", choices=RecipientKind.choices
    )
    agency = serializers.IntegerField(source="consent.agency_id", allow_null=True)
    agency_name = serializers.SerializerMethodField()
    purpose = serializers.ChoiceField(
        source="consent.purpose", choices=ConsentPurpose.choices
    )
    purpose_detail = serializers.CharField(source="consent.purpose_detail")
    info_classes = serializers.ListField(
        source="consent.info_classes",
        child=serializers.ChoiceField(choices=InfoClass.choices),
    )
    information_description = serializers.CharField(
        source="consent.information_description"
    )
    discloser = serializers.CharField(source="consent.discloser")
    signed_on = serializers.DateField(source="consent.signed_on")
    expires_on = serializers.DateField(source="consent.expires_on", allow_null=True)
    expiry_event = serializers.CharField(source="consent.expiry_event")
    method = serializers.ChoiceField(
        source="consent.method", choices=ConsentMethod.choices
    )
    witness_name = serializers.CharField(source="consent.witness_name")
    signature_obtained = serializers.BooleanField(source="consent.signature_obtained")
    right_to_revoke_stated = serializers.BooleanField(
        source="consent.right_to_revoke_stated"
    )
    redisclosure_statement = serializers.BooleanField(
        source="consent.redisclosure_statement"
    )
    notes = serializers.CharField(source="consent.notes")
    form = StoredFileSerializer(source="consent.form", allow_null=True)
    standing = serializers.ChoiceField(
        source="standing.state",
        choices=["active", "expiring", "not_yet", "expired", "revoked", "deleted"],
        help_text="Today, in the program's time zone: `active`, `expiring` "
        "(active, ends within 30 days), `not_yet` (dated ahead), `expired`, "
        "`revoked`, `deleted` (recorded in error). Only `active` and "
        "`expiring` count.",
    )
    standing_reason = serializers.CharField(source="standing.reason")
    part2_complete = serializers.SerializerMethodField(
        help_text="Has every element 42 CFR §2.31 requires: only then does it "
        "cover substance-use information."
    )
    part2_missing = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="consent.created_at")
    revoked_at = serializers.DateTimeField(source="consent.revoked_at", allow_null=True)
    revoked_by = serializers.SerializerMethodField()
    revoked_method = serializers.CharField(source="consent.revoked_method")
    revoked_reason = serializers.CharField(source="consent.revoked_reason")
    recorded_in_error = serializers.SerializerMethodField()

    def get_agency_name(self, row: ConsentSummary) -> str | None:
        agency = row.consent.agency
        return agency.name if agency is not None else None

    def get_part2_complete(self, row: ConsentSummary) -> bool:
        return not row.part2_missing

    @extend_schema_field(Part2ElementSerializer(many=True))
    def get_part2_missing(self, row: ConsentSummary) -> list[dict[str, str]]:
        return [{"code": c, "label": PART2_ELEMENTS[c]} for c in row.part2_missing]

    def get_recorded_by(self, row: ConsentSummary) -> str | None:
        return _user_name(row.consent.recorded_by)

    def get_revoked_by(self, row: ConsentSummary) -> str | None:
        return _user_name(row.consent.revoked_by)

    def get_recorded_in_error(self, row: ConsentSummary) -> bool:
        return row.consent.deleted_at is not None


class ConsentCreateSerializer(StrictSerializer):
    recipient_kind = StrictChoiceField(
        choices=RecipientKind.choices, required=False, default=RecipientKind.AGENCY
    )
    agency = StrictIntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="An active partner agency of the person's program "
        "(`recipient_kind` `agency`).",
    )
    purpose = StrictChoiceField(choices=ConsentPurpose.choices)
    purpose_detail = StrictCharField(
        max_length=_max("purpose_detail"), required=False, allow_blank=True, default=""
    )
    info_classes = ChoiceListField(choices=InfoClass)
    information_description = StrictCharField(
        max_length=_max("information_description"),
        required=False,
        allow_blank=True,
        default="",
    )
    discloser = StrictCharField(
        max_length=_max("discloser"), required=False, allow_blank=True, default=""
    )
    signed_on = StrictDateField()
    expires_on = StrictDateField(required=False, allow_null=True, default=None)
    expiry_event = StrictCharField(
        max_length=_max("expiry_event"), required=False, allow_blank=True, default=""
    )
    method = StrictChoiceField(choices=ConsentMethod.choices)
    witness_name = StrictCharField(
        max_length=_max("witness_name"), required=False, allow_blank=True, default=""
    )
    signature_obtained = StrictBooleanField(required=False, default=False)
    right_to_revoke_stated = StrictBooleanField(required=False, default=False)
    redisclosure_statement = StrictBooleanField(required=False, default=False)
    notes = StrictCharField(
        max_length=_max("notes"), required=False, allow_blank=True, default=""
    )


class ConsentRevokeSerializer(StrictSerializer):
    method = StrictChoiceField(choices=RevokeMethod.choices)
    reason = StrictCharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class ConsentFormUploadSerializer(StrictSerializer):
    form = serializers.FileField(help_text="A PDF or an image (PNG, JPEG, WebP).")


# --- views -------------------------------------------------------------------


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _data_from(d: dict[str, Any]) -> ConsentData:
    return ConsentData(
        recipient_kind=d["recipient_kind"],
        agency_id=d["agency"],
        purpose=d["purpose"],
        purpose_detail=d["purpose_detail"],
        info_classes=d["info_classes"],
        information_description=d["information_description"],
        discloser=d["discloser"],
        signed_on=d["signed_on"],
        expires_on=d["expires_on"],
        expiry_event=d["expiry_event"],
        method=d["method"],
        witness_name=d["witness_name"],
        signature_obtained=d["signature_obtained"],
        right_to_revoke_stated=d["right_to_revoke_stated"],
        redisclosure_statement=d["redisclosure_statement"],
        notes=d["notes"],
    )


def _shown(
    request: AuthedApiRequest, person: Person, consents: list[Consent], kind: str
) -> None:
    disclosure.records_shown(
        by=request.user,
        records=consents,
        kind=kind,
        listed=False,
        program_id=person.program_id,
    )


def _detail(request: AuthedApiRequest, consent: Consent) -> dict:
    person = consent.person
    _shown(request, person, [consent], disclosure.CONSENT)
    row = selectors.consent_summaries([consent], program=person.program)[0]
    return ConsentSerializer(row).data


def _reloaded(request: AuthedApiRequest, consent: Consent) -> Consent:
    return selectors.consent_get_for(user=request.user, pk=consent.pk)


@extend_schema_view(
    list=extend_schema(
        summary="A person's consents, newest first, every one (the view is audited)",
        responses={200: ConsentSerializer(many=True), **errors(404)},
    ),
    create=extend_schema(
        summary="Record a consent the person gave",
        request=ConsentCreateSerializer,
        responses={201: ConsentSerializer, **errors(400, 404, 413)},
    ),
)
@extend_schema(tags=["consents"])
class PersonConsentViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Releases of information a person gave. One recorded with substance-use
    information but missing a 42 CFR §2.31 element is kept, with
    `part2_missing` saying what; it does not cover substance use until a
    complete one is recorded."""

    serializer_class = ConsentSerializer
    filter_backends: list = []
    queryset = Consent.objects.none()  # schema only

    def list(self, request: AuthedApiRequest, person_pk: int) -> Response:
        person = person_selectors.person_get_for(user=request.user, person_id=person_pk)
        page = self.paginate_queryset(
            selectors.consent_list_for(user=request.user, person=person).select_related(
                "form"
            )
        )
        # That a person has consents, or none, is part of their record.
        disclosure.note(
            by=request.user,
            person_id=person.pk,
            program_id=person.program_id,
            kind=disclosure.CONSENT,
        )
        _shown(request, person, page, disclosure.CONSENT)
        rows = selectors.consent_summaries(page, program=person.program)
        return self.get_paginated_response(ConsentSerializer(rows, many=True).data)

    def create(self, request: AuthedApiRequest, person_pk: int) -> Response:
        person = person_selectors.person_get_for(user=request.user, person_id=person_pk)
        data = _data_from(_valid(ConsentCreateSerializer(data=request.data)))
        consent = services.consent_record(by=request.user, person=person, data=data)
        return Response(
            _detail(request, _reloaded(request, consent)),
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    retrieve=extend_schema(
        summary="One consent, with its standing and §2.31 gaps (the view is audited)",
        responses={200: ConsentSerializer, **errors(404)},
    ),
)
@extend_schema(tags=["consents"])
class ConsentViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """One consent. `revoke`: from now on it allows nothing (409 if already
    revoked or recorded in error)."""

    serializer_class = ConsentSerializer
    filter_backends: list = []
    queryset = Consent.objects.none()  # schema only

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        consent = selectors.consent_get_for(user=request.user, pk=pk)
        return Response(_detail(request, consent))

    @extend_schema(
        summary="Revoke a consent (the person withdrew it)",
        request=ConsentRevokeSerializer,
        responses={200: ConsentSerializer, **errors(400, 404, 409, 413)},
    )
    def revoke(self, request: AuthedApiRequest, pk: int) -> Response:
        consent = selectors.consent_get_for(user=request.user, pk=pk, action="revoke")
        d = _valid(ConsentRevokeSerializer(data=request.data))
        services.consent_revoke(
            by=request.user, consent=consent, method=d["method"], reason=d["reason"]
        )
        return Response(_detail(request, _reloaded(request, consent)))


@extend_schema(tags=["consents"])
class ConsentFormViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """A consent's scanned form: downloaded (GET), or attached once (POST,
    `multipart/form-data`, field `form`; 409 if it has one already). Too big
    or not a PDF / image: 400 naming `form`."""

    # The scanned form is a file: the API's one multipart body.
    parser_classes = [MultiPartParser]
    serializer_class = ConsentFormUploadSerializer
    filter_backends: list = []
    queryset = Consent.objects.none()  # schema only

    @extend_schema(
        summary="Download the consent's scanned form (the read is audited)",
        # The stored file's own type: what navigator.uploads accepted.
        responses={
            **{
                (200, content_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The PDF or image, as a download."
                )
                for content_type in ACCEPTED_TYPES
            },
            **errors(404),
        },
    )
    def download_form(self, request: AuthedApiRequest, pk: int):
        consent = selectors.consent_form_for(user=request.user, pk=pk)
        response = stored_file_response(consent.form)  # type: ignore[arg-type]
        disclosure.note(
            by=request.user,
            person_id=consent.person_id,
            program_id=consent.person.program_id,
            kind=disclosure.CONSENT_FORM,
            object_id=consent.pk,
        )
        return response

    @extend_schema(
        summary="Attach the scanned form to a consent recorded without it",
        request={"multipart/form-data": ConsentFormUploadSerializer},
        responses={200: ConsentSerializer, **errors(400, 404, 409, 413)},
    )
    def attach_form(self, request: AuthedApiRequest, pk: int) -> Response:
        consent = selectors.consent_get_for(
            user=request.user, pk=pk, action="attach_form"
        )
        upload = _valid(ConsentFormUploadSerializer(data=request.data))["form"]
        services.consent_attach_form(
            by=request.user, consent=consent, form_upload=upload
        )
        return Response(_detail(request, _reloaded(request, consent)))
