"""REST API of the directory: ``/api/v1/agencies/`` and ``/api/v1/services/``.

Read-only: every staff member (and administrators) reads the agencies and
services of their programs, scoped by ``referrals.selectors``; anything out
of scope is a 404. The directory is kept on its pages, the admin site and
with ``import_directory`` (no API writes yet: partners' systems load it
through HSDS). No person's record is here, so nothing is disclosed.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from navigator.api.fields import StrictCharField, StrictChoiceField
from navigator.api.schema import errors
from navigator.api.serializers import StrictSerializer
from navigator.api.views import ApiViewMixin
from navigator.http import AuthedApiRequest
from referrals import selectors
from referrals.directory.filters import AgencyFilter, ServiceFilter
from referrals.directory.services import (
    ServiceAvailability,
    service_availability_update,
)
from referrals.models import Accepting, Agency, Service


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = [
            "id",
            "slug",
            "name",
            "kind",
            "description",
            "phone",
            "email",
            "website",
            "street_address",
            "city",
            "state",
            "postal_code",
            "is_part2_program",
            "is_active",
            "hsds_id",
        ]
        read_only_fields = fields


class ServiceAgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "slug", "name", "is_part2_program"]
        read_only_fields = fields


class ServiceSerializer(serializers.ModelSerializer):
    agency = ServiceAgencySerializer()
    categories = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Service
        fields = [
            "id",
            "agency",
            "name",
            "description",
            "categories",
            "eligibility",
            "languages",
            "street_address",
            "city",
            "state",
            "postal_code",
            "latitude",
            "longitude",
            "phone",
            "hours",
            "accepting",
            "capacity_note",
            "is_active",
            "hsds_id",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="Partner agencies of your programs (filter)",
        responses={200: AgencySerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One agency, by id",
        responses={200: AgencySerializer, **errors(404)},
    ),
)
@extend_schema(tags=["directory"])
class AgencyViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """The agencies your programs refer people to (administrators: all).

    Each has a `slug`, its short name. `active=false` lists the deactivated
    ones; without `active` both are listed.
    """

    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    queryset = Agency.objects.none()  # schema only; requests are scoped

    def get_queryset(self):
        return selectors.agency_list_for(user=self.request.user, include_inactive=True)

    def list(self, request: AuthedApiRequest) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AgencySerializer(page, many=True).data)

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        agency = selectors.agency_get_for(user=request.user, pk=pk)
        return Response(AgencySerializer(agency).data)


class ServiceAvailabilitySerializer(StrictSerializer):
    """What a service's own agency keeps current (issue 10); any other
    field is a 400 naming it."""

    hours = StrictCharField(
        max_length=1000,  # Service.hours
        required=False,
        allow_blank=True,
    )
    accepting = StrictChoiceField(choices=Accepting.choices, required=False)
    capacity_note = StrictCharField(
        max_length=200,  # Service.capacity_note
        required=False,
        allow_blank=True,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Search the directory's services (active, of active agencies)",
        responses={200: ServiceSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One service, by id",
        responses={200: ServiceSerializer, **errors(404)},
    ),
    partial_update=extend_schema(
        summary="Update a service's hours, accepting new clients, capacity note",
        description="A partner updates its own agency's services (another "
        "agency's is a 404); the directory's keepers any of theirs. Any "
        "other field is a 400 naming it.",
        request=ServiceAvailabilitySerializer,
        responses={200: ServiceSerializer, **errors(400, 403, 404, 413)},
    ),
)
@extend_schema(tags=["directory"])
class ServiceViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Services of the agencies your programs work with: `q` searches names
    and descriptions; `category`, `city` (exact), `accepting` and `agency`
    (an id) narrow it. The list holds active services of active agencies;
    the detail answers for any of your programs' services."""

    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    queryset = Service.objects.none()  # schema only; requests are scoped

    def get_queryset(self):
        return selectors.service_search_for(user=self.request.user)

    def list(self, request: AuthedApiRequest) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ServiceSerializer(page, many=True).data)

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        service = selectors.service_get_for(user=request.user, pk=pk)
        return Response(ServiceSerializer(service).data)

    def partial_update(self, request: AuthedApiRequest, pk: int) -> Response:
        service = selectors.service_get_for(user=request.user, pk=pk)
        serializer = ServiceAvailabilitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        service = service_availability_update(
            by=request.user,
            service=service,
            changes=ServiceAvailability(
                hours=data.get("hours"),
                accepting=data.get("accepting"),
                capacity_note=data.get("capacity_note"),
            ),
        )
        return Response(ServiceSerializer(service).data)
