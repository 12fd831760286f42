"""Shared factories: programs, users with a role, people, encounters."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from cases.models import Disposition, Encounter, EncounterSource, Person
from cases.phonetic import person_search_phonetic
from cases.text import person_search_text
from navigator.models import Membership, Program, ResponseModel, Role, User

PASSWORD = "correct-horse-battery"


class ProgramFactory(factory.django.DjangoModelFactory[Program]):
    class Meta:
        model = Program
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    jurisdictions = factory.LazyFunction(lambda: ["Springfield"])
    response_model = ResponseModel.EMBEDDED
    time_zone = "America/Los_Angeles"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


def member(program: Program, role: str = Role.NAVIGATOR, **user_kwargs) -> User:
    """A user with one role in one program."""
    user = UserFactory(**user_kwargs)
    Membership.objects.create(user=user, program=program, role=role)
    return user


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    program = factory.SubFactory(ProgramFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    # What cases.services.people.refresh_search_text stores.
    search_text = factory.LazyAttribute(
        lambda p: person_search_text(
            [p.first_name, p.last_name, f"{p.first_name} {p.last_name}"]
        )
    )
    search_phonetic = factory.LazyAttribute(
        lambda p: person_search_phonetic(p.search_text)
    )


class EncounterFactory(factory.django.DjangoModelFactory[Encounter]):
    class Meta:
        model = Encounter

    person = factory.SubFactory(PersonFactory)
    program = factory.LazyAttribute(
        lambda e: e.person.program if e.person else ProgramFactory()
    )
    started_at = factory.LazyFunction(
        lambda: timezone.now() - datetime.timedelta(hours=2)
    )
    minutes_engaged = 30
    source = EncounterSource.CALL_911
    response_model = ResponseModel.EMBEDDED
    disposition = Disposition.RESOURCES_PROVIDED
    concerns = factory.LazyFunction(lambda: ["mental_health"])


def token_client(user: User):
    """An API client that sends a fresh bearer token of ``user``."""
    from rest_framework.test import APIClient

    from navigator.services import api_token_create

    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def request_fields(client, component: str) -> set[str]:
    """What a request body may hold: the properties of a request component of
    the OpenAPI schema (read-only fields are left out of those)."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return set(schema["components"]["schemas"][component]["properties"])
