"""Factories of the directory, consents and referrals."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from cases.models import Consent, ConsentMethod, ConsentPurpose, InfoClass, Person
from navigator.models import Program, User
from referrals.models import (
    Agency,
    AgencyKind,
    Referral,
    ReferralStatus,
    Service,
    ServiceCategory,
)
from tests.factories import UserFactory


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Agency {n}")
    slug = factory.Sequence(lambda n: f"agency-{n}")
    kind = AgencyKind.CLINIC
    phone = "555-0100"
    city = "Springfield"

    @factory.post_generation
    def programs(
        obj: Agency, create: bool, extracted: object, **kwargs: object
    ) -> None:
        # AgencyFactory(programs=[program_a]): the programs that refer to it.
        if create and extracted:
            obj.programs.set(extracted)  # type: ignore[arg-type]


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    class Meta:
        model = Service

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    categories = factory.LazyFunction(lambda: [ServiceCategory.MENTAL_HEALTH])
    city = "Springfield"


def partner_of(program: Program, **kwargs: object) -> Agency:
    """An active agency the program refers to."""
    return AgencyFactory(programs=[program], **kwargs)


class ConsentFactory(factory.django.DjangoModelFactory[Consent]):
    """A consent that counts today, for every class, with every §2.31
    element (override fields to make it fail one rule)."""

    class Meta:
        model = Consent

    person = factory.SubFactory("tests.factories.PersonFactory")
    program = factory.LazyAttribute(lambda c: c.person.program)
    agency = None
    recipient_kind = factory.LazyAttribute(
        lambda c: "agency" if c.agency is not None else "program_partners"
    )
    purpose = ConsentPurpose.CARE_COORDINATION
    info_classes = factory.LazyFunction(
        lambda: [InfoClass.GENERAL, InfoClass.MENTAL_HEALTH, InfoClass.SUBSTANCE_USE]
    )
    information_description = "Contact details, crisis notes, substance-use history"
    discloser = "The co-responder program"
    signed_on = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=10)
    )
    expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=365)
    )
    method = ConsentMethod.SIGNED_FORM
    signature_obtained = True
    right_to_revoke_stated = True
    redisclosure_statement = True
    recorded_by = factory.SubFactory(UserFactory)


def referral_for(
    person: Person,
    agency: Agency,
    *,
    by: User,
    status: str = ReferralStatus.REQUESTED,
    **fields: Any,
) -> Referral:
    """A referral row in ``status`` without going through the services
    (for lists and sweeps; lifecycle tests use the services)."""
    now = timezone.now()
    return Referral.objects.create(
        program=person.program,
        person=person,
        agency=agency,
        reason=str(fields.pop("reason", "Needs an intake appointment")),
        info_classes=fields.pop("info_classes", [InfoClass.GENERAL]),
        created_by=by,
        assigned_to=fields.pop("assigned_to", by),
        status=status,
        status_changed_at=fields.pop("status_changed_at", now),
        requested_at=now if status != ReferralStatus.DRAFT else None,
        respond_by=fields.pop("respond_by", timezone.localdate()),
        outcome=fields.pop(
            "outcome", "connected" if status == ReferralStatus.COMPLETED else ""
        ),
        **fields,
    )
