"""What a consent's revocation sets off above this layer.

``cases.consents`` cannot import referrals (docs/decisions/0010-layers.md);
the referrals app registers its reaction (the partners' webhook
``consent.withdrawn``) here at startup, and ``consent_revoke`` calls every
registered callback inside its own transaction, so a rolled-back revocation
sets off nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from cases.models import Consent

ConsentRevoked = Callable[[Consent], object]

_on_revoked: list[ConsentRevoked] = []


def register_on_revoked(callback: ConsentRevoked) -> None:
    """Register once (AppConfig.ready may run twice in tests: no duplicates)."""
    if callback not in _on_revoked:
        _on_revoked.append(callback)


def consent_revoked(consent: Consent) -> None:
    for callback in list(_on_revoked):
        callback(consent)
