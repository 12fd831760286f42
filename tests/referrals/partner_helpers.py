"""Partners for tests: a partner user of an agency, a token client."""

from __future__ import annotations

from rest_framework.test import APIClient

from navigator.models import User
from referrals.models import Agency, AgencyMember
from referrals.partners.services import partner_token_create
from tests.factories import UserFactory


def partner_user(agency: Agency, **kwargs: object) -> User:
    user = UserFactory(**kwargs)
    AgencyMember.objects.create(user=user, agency=agency)
    return user


def partner_key(agency: Agency, **kwargs: object) -> str:
    _, key = partner_token_create(agency=agency, name="test", **kwargs)  # type: ignore[arg-type]
    return key


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def partner_client(agency: Agency) -> APIClient:
    return key_client(partner_key(agency))
