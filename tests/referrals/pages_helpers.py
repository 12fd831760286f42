"""What the referral page tests share: a person with a partner agency and
its service, a consent, and a client signed in."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client

from cases.models import Person
from navigator.models import Program, User
from referrals.models import Agency, Service
from tests.factories import PersonFactory
from tests.referrals.factories import ServiceFactory, partner_of


@dataclass
class Scene:
    program: Program
    user: User
    person: Person
    agency: Agency
    service: Service
    client: Client


def scene(program: Program, user: User, **person_fields: object) -> Scene:
    person = PersonFactory(
        program=program,
        **({"first_name": "Dana", "last_name": "Okafor"} | person_fields),
    )
    agency = partner_of(program, name="Harbor Clinic", phone="555-0142")
    service = ServiceFactory(agency=agency, name="Walk-in counselling")
    client = Client()
    client.force_login(user)
    return Scene(program, user, person, agency, service, client)
