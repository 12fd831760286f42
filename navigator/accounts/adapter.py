"""allauth adapters: accounts are made by administrators, never by sign-up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user) -> str:
        # What the authenticator app lists: the username people sign in with.
        return user.get_username()
