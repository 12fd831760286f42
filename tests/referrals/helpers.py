"""Referrals made through the services, for the registry tests' worlds.

``referral_in(world, status)`` works with any world that has ``program``,
``person`` and ``navigator`` (the disclosure doors', the broker outage's,
the hostile one): made on first use, so the worlds need no new fields, and
cached on the world per status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases.models import InfoClass
from referrals.models import Agency, Referral, ReferralStatus, Service
from referrals.services import (
    ReferralData,
    referral_act,
    referral_create,
    referral_note_add,
)
from tests.referrals.factories import ConsentFactory, ServiceFactory, partner_of

S = ReferralStatus

# The moves (and what they need) that reach each status from a draft.
PATH: dict[str, list[tuple[str, dict[str, Any]]]] = {
    S.DRAFT: [],
    S.REQUESTED: [("request", {})],
    S.ACCEPTED: [("request", {}), ("accept", {})],
    S.IN_PROGRESS: [("request", {}), ("accept", {}), ("start", {})],
    S.ON_HOLD: [("request", {}), ("accept", {}), ("start", {}), ("hold", {})],
    S.COMPLETED: [
        ("request", {}),
        ("accept", {}),
        ("start", {}),
        ("complete", {"outcome": "connected"}),
    ],
    S.CANCELLED: [("request", {}), ("cancel", {"reason_code": "duplicate"})],
}


def _cache(world: Any) -> dict[str, Any]:
    return world.__dict__.setdefault("_referral_helpers", {})


def partner(world: Any, text: str = "") -> Agency:
    """An agency the world's program refers to, with a service, and a
    consent of the world's person to share everything with it."""
    cache = _cache(world)
    if "agency" not in cache:
        agency = partner_of(world.program, name=f"Harbor Clinic{text}"[:200])
        ServiceFactory(agency=agency, name=f"Walk-in intake{text}"[:200])
        ConsentFactory(person=world.person, agency=agency)
        cache["agency"] = agency
    return cache["agency"]


def service_of(world: Any) -> Service:
    return partner(world).services.get()


def more_services(world: Any, n: int) -> list[Service]:
    """``n`` services of agencies the person has a consent for."""
    ConsentFactory(person=world.person, info_classes=[InfoClass.GENERAL])
    return [ServiceFactory(agency=partner_of(world.program)) for _ in range(n)]


def referral_in(world: Any, status: str, *, text: str = "") -> Referral:
    """The world's person's referral in ``status``, with a note (made through
    the services: history, audit and consent as in real life)."""
    cache = _cache(world)
    key = f"referral:{status}"
    if key not in cache:
        agency = partner(world, text)
        referral = referral_create(
            by=world.navigator,
            data=ReferralData(
                person=world.person,
                service=service_of(world),
                agency=agency,
                reason=f"Needs an intake appointment{text}"[:2000],
            ),
        )
        for action, extra in PATH[status]:
            referral_act(by=world.navigator, referral=referral, action=action, **extra)
        referral_note_add(
            by=world.navigator, referral=referral, text=f"Called intake{text}"
        )
        referral.refresh_from_db()
        cache[key] = referral
    return cache[key]


def referral_id(status: str) -> Callable[[Any], int]:
    """For a table row: the world's referral in ``status``, by id."""
    return lambda world: referral_in(world, status).pk


def referral_action_path(action: str, status: str) -> Callable[[Any], str]:
    return lambda world: f"/api/v1/referrals/{referral_in(world, status).pk}/{action}/"


def fixed(body: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    return lambda world: body
