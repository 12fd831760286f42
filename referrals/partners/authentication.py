"""``Authorization: Bearer navp_…``: a partner agency's system, acting as
the agency (its service account; ``request.auth`` is the token).

Before the staff bearer scheme in DEFAULT_AUTHENTICATION_CLASSES: a key
with the partner prefix is answered here, valid or not, so a revoked or
expired partner key is a 401 everywhere."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from referrals.models import PartnerToken
from referrals.partners.selectors import is_partner_key, partner_token_for_key
from referrals.partners.services import partner_service_account_for


def bearer_key(request) -> str | None:
    """The bearer key of a request's Authorization header, if well formed."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != b"bearer":
        return None
    try:
        return parts[1].decode()
    except UnicodeDecodeError:
        return None


class PartnerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = bearer_key(request)
        if key is None or not is_partner_key(key):
            return None
        token = partner_token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        user = partner_service_account_for(token.agency)
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > 60
        ):
            PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (user, token)

    def authenticate_header(self, request):
        return "Bearer"


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = PartnerTokenAuthentication
    name = "partnerBearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106 (the scheme's name, not a secret)
        )
