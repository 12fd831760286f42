"""REST API for people, their family contacts, and encounters.

Thin by design: parse with a serializer, call one service or scoped selector,
respond. Scoping, rules and auditing live in ``cases.services`` /
``cases.selectors``: their access functions answer NotFound (404, another
program's record) or PermissionDenied (403, not for the caller's role), the
same answers the pages give (tests/navigator/test_access_agreement.py).
"""

from __future__ import annotations

from typing import cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from cases import selectors, services
from cases.api.serializers import (
    EncounterSerializer,
    FamilyContactSerializer,
    PersonDetailSerializer,
    PersonSerializer,
)
from cases.filters import EncounterFilter, PersonFilter
from cases.models import Encounter, FamilyContact, Person
from cases.services import EncounterData, FamilyContactData, PersonData
from navigator import disclosure
from navigator.api.schema import errors
from navigator.api.serializers import OptionalReasonSerializer, ReasonSerializer
from navigator.api.views import ApiViewMixin, reason_from
from navigator.http import AuthedApiRequest

REASON_REQUIRED = OpenApiParameter(
    "reason",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Why (kept in the audit log). Required: give it here or as a "
    'JSON body `{"reason": "..."}`.',
)
REASON_OPTIONAL = OpenApiParameter(
    "reason",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description='Optional note for the audit log; or a JSON body `{"reason": "..."}`.',
)


def _data(serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(
        summary="People in your programs (search, filter)",
        responses={200: PersonSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One person, with family contacts (the view is audited)",
        responses={200: PersonDetailSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Add a person",
        request=PersonDetailSerializer,
        responses={201: PersonDetailSerializer, **errors(400, 413)},
    ),
    update=extend_schema(
        summary="Replace a person's details",
        request=PersonDetailSerializer,
        responses={200: PersonDetailSerializer, **errors(400, 404, 409, 413)},
    ),
    partial_update=extend_schema(
        summary="Change some of a person's details",
        request=PersonDetailSerializer,
        responses={200: PersonDetailSerializer, **errors(400, 404, 409, 413)},
    ),
    destroy=extend_schema(
        summary="Soft-delete a person (reason required)",
        parameters=[REASON_REQUIRED],
        request=ReasonSerializer,
        responses={204: None, **errors(400, 404, 409)},
    ),
)
@extend_schema(tags=["people"])
class PersonViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """People served by your programs.

    `q` searches every name and alias (case- and accent-insensitive,
    typo-tolerant on PostgreSQL). Reading one person is recorded in the
    audit log. Deleting needs a reason and can be undone with `restore`.
    """

    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    # For the schema generator only; requests use get_queryset (scoped).
    queryset = Person.objects.none()

    def get_queryset(self):
        return selectors.person_list_for(user=self.request.user)

    def list(self, request: AuthedApiRequest) -> Response:
        people = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        disclosure.people_shown(by=request.user, people=people, kind=disclosure.PERSON)
        return self.get_paginated_response(PersonSerializer(people, many=True).data)

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        person = selectors.person_get_for(user=request.user, person_id=pk)
        return Response(_person_detail(request, person))

    def create(self, request: AuthedApiRequest) -> Response:
        data = _data(PersonDetailSerializer(data=request.data))
        person = services.person_create(
            by=request.user,
            program=data.pop("program_id", None),
            aliases=data.pop("aliases", ()),
            data=cast(PersonData, data),
        )
        return Response(_person_detail(request, person), status=status.HTTP_201_CREATED)

    def update(
        self, request: AuthedApiRequest, pk: int, partial: bool = False
    ) -> Response:
        person = selectors.person_get_for(
            user=request.user, person_id=pk, action="edit"
        )
        data = _data(PersonDetailSerializer(person, data=request.data, partial=partial))
        person = services.person_update(
            by=request.user,
            person=person,
            program=data.pop("program_id", None),
            aliases=data.pop("aliases", None),
            data=cast(PersonData, data),
        )
        return Response(_person_detail(request, person))

    def partial_update(self, request: AuthedApiRequest, pk: int) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: AuthedApiRequest, pk: int) -> Response:
        person = selectors.person_get_for(
            user=request.user, person_id=pk, action="delete"
        )
        services.person_soft_delete(
            by=request.user, person=person, reason=reason_from(request, required=True)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Restore a soft-deleted person",
        parameters=[REASON_OPTIONAL],
        request=OptionalReasonSerializer,
        responses={200: PersonDetailSerializer, **errors(400, 404, 409)},
    )
    def restore(self, request: AuthedApiRequest, pk: int) -> Response:
        person = selectors.person_get_for(
            user=request.user, person_id=pk, action="restore"
        )
        person = services.person_restore(
            by=request.user, person=person, reason=reason_from(request, required=False)
        )
        return Response(_person_detail(request, person))


def _person_detail(request: AuthedApiRequest, person: Person) -> dict:
    """The record with its contacts. Every answer that carries it is a read
    of the record (audited once per request; a write's own event covers
    it), so a PATCH that changes nothing cannot read a record unseen."""
    contacts = list(selectors.family_contacts_for(person=person))
    services.person_record_viewed(by=request.user, person=person)
    _contacts_shown(request, person, contacts)
    return PersonDetailSerializer(person, context={"family_contacts": contacts}).data


def _contacts_shown(request: AuthedApiRequest, person: Person, contacts) -> None:
    disclosure.records_shown(
        by=request.user,
        records=contacts,
        kind=disclosure.FAMILY_CONTACT,
        listed=False,
        program_id=person.program_id,
    )


def _contact_data(request: AuthedApiRequest, contact: FamilyContact) -> dict:
    _contacts_shown(request, contact.person, [contact])
    return FamilyContactSerializer(contact).data


@extend_schema_view(
    list=extend_schema(
        summary="A person's family / caregiver contacts (the view is audited)",
        responses={200: FamilyContactSerializer(many=True), **errors(404)},
    ),
    retrieve=extend_schema(
        summary="One family contact (the view is audited)",
        responses={200: FamilyContactSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Add a family contact",
        responses={201: FamilyContactSerializer, **errors(400, 404, 409, 413)},
    ),
    update=extend_schema(
        summary="Replace a family contact",
        responses={200: FamilyContactSerializer, **errors(400, 404, 409, 413)},
    ),
    partial_update=extend_schema(
        summary="Change a family contact",
        responses={200: FamilyContactSerializer, **errors(400, 404, 409, 413)},
    ),
    destroy=extend_schema(
        summary="Remove (soft-delete) a family contact (reason required)",
        parameters=[REASON_REQUIRED],
        request=ReasonSerializer,
        responses={204: None, **errors(400, 404, 409)},
    ),
)
@extend_schema(tags=["people"])
class FamilyContactViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Family members and caregivers of a person (`may_contact`: consent)."""

    serializer_class = FamilyContactSerializer
    filter_backends: list = []
    queryset = FamilyContact.objects.none()  # schema only

    def list(self, request: AuthedApiRequest, person_pk: int) -> Response:
        person = selectors.person_get_for(user=request.user, person_id=person_pk)
        contacts = self.paginate_queryset(selectors.family_contacts_for(person=person))
        # Who a person's family is (or that there is none on record) belongs
        # to their record: reading it is audited like the record itself.
        disclosure.note(
            by=request.user,
            person_id=person.pk,
            program_id=person.program_id,
            kind=disclosure.FAMILY_CONTACT,
        )
        _contacts_shown(request, person, contacts)
        return self.get_paginated_response(
            FamilyContactSerializer(contacts, many=True).data
        )

    def create(self, request: AuthedApiRequest, person_pk: int) -> Response:
        person = selectors.person_get_for(user=request.user, person_id=person_pk)
        contact = services.family_contact_add(
            by=request.user,
            person=person,
            data=cast(
                FamilyContactData, _data(FamilyContactSerializer(data=request.data))
            ),
        )
        return Response(_contact_data(request, contact), status=status.HTTP_201_CREATED)

    def retrieve(self, request: AuthedApiRequest, person_pk: int, pk: int) -> Response:
        contact = _contact(request, person_pk, pk, "view")
        return Response(_contact_data(request, contact))

    def update(
        self, request: AuthedApiRequest, person_pk: int, pk: int, partial: bool = False
    ) -> Response:
        contact = _contact(request, person_pk, pk, "edit")
        data = _data(
            FamilyContactSerializer(contact, data=request.data, partial=partial)
        )
        contact = services.family_contact_update(
            by=request.user, contact=contact, data=cast(FamilyContactData, data)
        )
        return Response(_contact_data(request, contact))

    def partial_update(
        self, request: AuthedApiRequest, person_pk: int, pk: int
    ) -> Response:
        return self.update(request, person_pk, pk, partial=True)

    def destroy(self, request: AuthedApiRequest, person_pk: int, pk: int) -> Response:
        contact = _contact(request, person_pk, pk, "remove")
        services.family_contact_remove(
            by=request.user,
            contact=contact,
            reason=reason_from(request, required=True),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Restore a removed family contact (program managers)",
        parameters=[REASON_OPTIONAL],
        request=OptionalReasonSerializer,
        responses={200: FamilyContactSerializer, **errors(400, 403, 404, 409)},
    )
    def restore(self, request: AuthedApiRequest, person_pk: int, pk: int) -> Response:
        contact = _contact(request, person_pk, pk, "restore", include_deleted=True)
        contact = services.family_contact_restore(
            by=request.user,
            contact=contact,
            reason=reason_from(request, required=False),
        )
        return Response(_contact_data(request, contact))


def _contact(
    request: AuthedApiRequest,
    person_pk: int,
    pk: int,
    action: selectors.FamilyContactAction,
    *,
    include_deleted: bool = False,
) -> FamilyContact:
    # The URL must also name the right person (the selector checks it).
    return selectors.family_contact_get_for(
        user=request.user,
        contact_id=pk,
        person_id=person_pk,
        action=action,
        include_deleted=include_deleted,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Encounters in your programs (filter)",
        responses={200: EncounterSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One encounter (viewing a linked person's encounter is audited)",
        responses={200: EncounterSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Log an encounter",
        responses={201: EncounterSerializer, **errors(400, 413)},
    ),
    update=extend_schema(
        summary="Replace an encounter's details",
        responses={200: EncounterSerializer, **errors(400, 404, 409, 413)},
    ),
    partial_update=extend_schema(
        summary="Change an encounter; send `person` to link an unidentified one",
        responses={200: EncounterSerializer, **errors(400, 404, 409, 413)},
    ),
    destroy=extend_schema(
        summary="Soft-delete an encounter (reason required)",
        parameters=[REASON_REQUIRED],
        request=ReasonSerializer,
        responses={204: None, **errors(400, 404, 409)},
    ),
)
@extend_schema(tags=["encounters"])
class EncounterViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Contacts in the field.

    `person` is null while the person is unidentified (then
    `unidentified_description` says who); PATCH `{"person": id}` links it.
    Times without a UTC offset are read in your program's time zone.
    """

    serializer_class = EncounterSerializer
    filterset_class = EncounterFilter
    queryset = Encounter.objects.none()  # schema only

    def get_queryset(self):
        return selectors.encounter_list_for(user=self.request.user)

    def list(self, request: AuthedApiRequest) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        disclosure.records_shown(
            by=request.user, records=page, kind=disclosure.ENCOUNTER, named=True
        )
        return self.get_paginated_response(EncounterSerializer(page, many=True).data)

    def retrieve(self, request: AuthedApiRequest, pk: int) -> Response:
        encounter = selectors.encounter_get_for(user=request.user, encounter_id=pk)
        return Response(_encounter_data(request, encounter))

    def create(self, request: AuthedApiRequest) -> Response:
        data = _data(EncounterSerializer(data=request.data))
        encounter = services.encounter_log(
            by=request.user,
            program=data.pop("program_id", None),
            person=data.pop("person_id", None),
            navigators=data.pop("navigators", None),
            data=cast(EncounterData, data),
        )
        return Response(
            _encounter_data(request, encounter), status=status.HTTP_201_CREATED
        )

    def update(
        self, request: AuthedApiRequest, pk: int, partial: bool = False
    ) -> Response:
        encounter = selectors.encounter_get_for(
            user=request.user, encounter_id=pk, action="edit"
        )
        data = _data(EncounterSerializer(encounter, data=request.data, partial=partial))
        encounter = services.encounter_update(
            by=request.user,
            encounter=encounter,
            program=data.pop("program_id", None),
            # Absent means "leave the link"; null means "unidentified".
            person=data.pop("person_id", ...),
            navigators=data.pop("navigators", None),
            data=cast(EncounterData, data),
        )
        return Response(_encounter_data(request, encounter))

    def partial_update(self, request: AuthedApiRequest, pk: int) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: AuthedApiRequest, pk: int) -> Response:
        encounter = selectors.encounter_get_for(
            user=request.user, encounter_id=pk, action="delete"
        )
        services.encounter_soft_delete(
            by=request.user,
            encounter=encounter,
            reason=reason_from(request, required=True),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Restore a soft-deleted encounter",
        parameters=[REASON_OPTIONAL],
        request=OptionalReasonSerializer,
        responses={200: EncounterSerializer, **errors(400, 404, 409)},
    )
    def restore(self, request: AuthedApiRequest, pk: int) -> Response:
        encounter = selectors.encounter_get_for(
            user=request.user, encounter_id=pk, action="restore"
        )
        encounter = services.encounter_restore(
            by=request.user,
            encounter=encounter,
            reason=reason_from(request, required=False),
        )
        return Response(_encounter_data(request, encounter))


def _encounter_data(request: AuthedApiRequest, encounter: Encounter) -> dict:
    # An encounter's narrative is part of the person's record.
    disclosure.record_opened(
        by=request.user, record=encounter, kind=disclosure.ENCOUNTER
    )
    return EncounterSerializer(encounter).data
