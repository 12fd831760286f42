"""allauth adapters: accounts are made by administrators, never by sign-up;
second-factor secrets are stored encrypted."""

from __future__ import annotations

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY: a copy of the database alone
    # (a backup, a dump) does not give away anyone's TOTP key. Changing
    # SECRET_KEY therefore means everyone sets up their app again.
    digest = hashlib.sha256(b"navigator.mfa:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user) -> str:
        # What the authenticator app lists: the username people sign in with.
        return user.get_username()

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _fernet().decrypt(encrypted_text.encode()).decode()

    def can_delete_authenticator(self, authenticator) -> bool:
        # Someone who must use MFA keeps at least one factor; to replace a
        # lost one, an administrator resets it (audited, mfa_reset).
        from navigator.accounts.selectors import mfa_required_for

        if not mfa_required_for(user=authenticator.user):
            return True
        others = Authenticator.objects.filter(
            user=authenticator.user,
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
        ).exclude(pk=authenticator.pk)
        return others.exists()
