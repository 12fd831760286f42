"""Per partner token request limits: for load (one partner's runaway sync
loop must not starve the others), not a security control: the boundary
and the selectors decide what a token may reach."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from referrals.models import PartnerToken


class PartnerTokenRateThrottle(SimpleRateThrottle):
    scope = "partner"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, PartnerToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
