"""The one consent decision (cases.consents.selectors.consent_decision):
each rule on its own, then a property test over generated consent sets
against a plain reading of the rules written here, independently."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.consents.rules import PART2_ELEMENTS
from cases.consents.selectors import consent_decision, consent_decision_for
from cases.models import Consent, InfoClass
from tests.factories import PersonFactory, ProgramFactory
from tests.referrals.factories import AgencyFactory, ConsentFactory, partner_of

pytestmark = pytest.mark.django_db

SU, GEN, MH = InfoClass.SUBSTANCE_USE, InfoClass.GENERAL, InfoClass.MENTAL_HEALTH


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a)


@pytest.fixture
def clinic(program_a):
    return partner_of(program_a)


def decide(person, agency, info_class=GEN, at=None):
    return consent_decision(
        person=person, agency_id=agency.pk, info_class=info_class, at=at
    )


def test_a_complete_consent_allows_every_class(person, clinic):
    consent = ConsentFactory(person=person, agency=clinic)
    for info_class in (GEN, MH, SU):
        decision = decide(person, clinic, info_class)
        assert decision.allowed and decision.consent == consent


def test_no_consent(person, clinic):
    decision = decide(person, clinic)
    assert (decision.allowed, decision.code, decision.consent) == (
        False,
        "no_consent",
        None,
    )


def test_expiry_is_by_the_programs_date(program_a, person, clinic):
    """The day after expires_on, in the program's time zone, it stops."""
    program_a.time_zone = "America/Los_Angeles"
    program_a.save()
    ConsentFactory(
        person=person,
        agency=clinic,
        signed_on=datetime.date(2025, 1, 1),
        expires_on=datetime.date(2025, 6, 30),
    )
    la = zoneinfo.ZoneInfo("America/Los_Angeles")
    last_minute = datetime.datetime(2025, 6, 30, 23, 59, tzinfo=la)
    # Already 1 July in UTC, still 30 June in the program's zone.
    assert last_minute.astimezone(datetime.UTC).date() == datetime.date(2025, 7, 1)
    assert decide(person, clinic, at=last_minute).allowed
    next_day = datetime.datetime(2025, 7, 1, 0, 1, tzinfo=la)
    decision = decide(person, clinic, at=next_day)
    assert (decision.allowed, decision.code) == (False, "not_in_force")
    assert "expired" in decision.reason


def test_revocation_takes_effect_at_once(person, clinic, navigator_a):
    from cases.consents.services import consent_revoke

    consent = ConsentFactory(person=person, agency=clinic)
    assert decide(person, clinic).allowed
    consent_revoke(by=navigator_a, consent=consent, method="written")
    decision = decide(person, clinic)
    assert (decision.allowed, decision.code) == (False, "not_in_force")
    assert "revoked" in decision.reason


def test_recorded_in_error_counts_for_nothing(person, clinic):
    ConsentFactory(person=person, agency=clinic, deleted_at=timezone.now())
    assert not decide(person, clinic).allowed


def test_signed_in_the_future_does_not_count_yet(person, clinic):
    ConsentFactory(
        person=person,
        agency=clinic,
        signed_on=timezone.localdate() + datetime.timedelta(days=2),
    )
    assert decide(person, clinic).code == "not_in_force"


def test_wrong_agency(person, clinic, program_a):
    ConsentFactory(person=person, agency=partner_of(program_a))
    decision = decide(person, clinic)
    assert (decision.allowed, decision.code) == (False, "wrong_agency")


def test_another_persons_consent_never_counts(person, clinic, program_a):
    ConsentFactory(person=PersonFactory(program=program_a), agency=clinic)
    assert decide(person, clinic).code == "no_consent"


def test_any_partner_of_the_program(person, clinic, program_a, program_b):
    ConsentFactory(person=person, agency=None)
    assert decide(person, clinic).allowed
    # An agency that works with another program only is not a partner.
    elsewhere = partner_of(program_b)
    assert decide(person, elsewhere).code == "wrong_agency"
    # An inactive partner is no partner.
    inactive = partner_of(program_a, is_active=False)
    assert decide(person, inactive).code == "wrong_agency"


def test_a_named_agency_is_preferred_over_the_class(person, clinic):
    ConsentFactory(person=person, agency=None)
    named = ConsentFactory(person=person, agency=clinic)
    assert decide(person, clinic).consent == named


def test_wrong_information_class(person, clinic):
    ConsentFactory(person=person, agency=clinic, info_classes=[GEN])
    assert decide(person, clinic, GEN).allowed
    decision = decide(person, clinic, MH)
    assert (decision.allowed, decision.code) == (False, "wrong_class")
    # A referral carrying several classes needs one consent covering all.
    both = consent_decision_for(
        person=person, agency_id=clinic.pk, info_classes=[GEN, MH]
    )
    assert not both.allowed


# What to set on a complete consent to lose exactly one §2.31 element.
LOSE: dict[str, dict[str, Any]] = {
    "discloser": {"discloser": ""},
    "information_description": {"information_description": ""},
    "purpose": {"purpose": ""},
    "right_to_revoke": {"right_to_revoke_stated": False},
    "expiry": {"expires_on": None, "expiry_event": ""},
    "signature": {"signature_obtained": False},
    "redisclosure_statement": {"purpose": "treatment", "redisclosure_statement": False},
}


@pytest.mark.parametrize("element", sorted(LOSE))
def test_each_missing_part2_element_refuses_substance_use_only(person, clinic, element):
    ConsentFactory(person=person, agency=clinic, **LOSE[element])
    decision = decide(person, clinic, SU)
    assert (decision.allowed, decision.code) == (False, "part2_incomplete")
    assert PART2_ELEMENTS[element] in decision.reason
    assert decide(person, clinic, GEN).allowed
    assert decide(person, clinic, MH).allowed


def test_a_verbal_consent_is_no_part2_signature(person, clinic):
    ConsentFactory(
        person=person, agency=clinic, method="verbal", witness_name="Officer Ruiz"
    )
    assert decide(person, clinic, SU).code == "part2_incomplete"
    assert decide(person, clinic, GEN).allowed


def test_the_redisclosure_statement_is_asked_only_for_tpo_purposes(person, clinic):
    ConsentFactory(
        person=person, agency=clinic, purpose="housing", redisclosure_statement=False
    )
    assert decide(person, clinic, SU).allowed


# --- the property: the selector agrees with a plain reading ------------------

TODAY = datetime.date(2025, 3, 15)
NOON = datetime.datetime(2025, 3, 15, 12, 0, tzinfo=datetime.UTC)


def plain_reading(consents: list[dict], agency: str, info_class: str) -> bool:
    """May ``agency`` receive ``info_class``? Written from the rules as a
    person reads them, without the selector's code: some consent names the
    agency (or is for any partner, and the agency is an active partner), covers
    the class, is not recorded in error nor revoked, was signed by today and
    has not expired before today; for substance use it also has a
    discloser, a description, a purpose, the right to revoke, an expiry, a
    written signature, and (for treatment, payment, operations) the
    redisclosure statement."""
    for c in consents:
        if c["to"] == "any":
            if agency not in ("partner",):
                continue
        elif c["to"] != agency:
            continue
        if info_class not in c["classes"]:
            continue
        if c["in_error"] or c["revoked"]:
            continue
        if c["signed_offset"] > 0:
            continue
        if c["expires_offset"] is not None and c["expires_offset"] < 0:
            continue
        if info_class == SU:
            ok = (
                c["discloser"]
                and c["described"]
                and c["revocable"]
                and (c["expires_offset"] is not None or c["event"])
                and c["signed"]
                and c["method"] != "verbal"
                and (
                    c["purpose"] not in ("treatment", "payment", "operations")
                    or c["redisclosure"]
                )
            )
            if not ok:
                continue
        return True
    return False


consent_specs = st.fixed_dictionaries(
    {
        # "partner" and "other" are named agencies ("other": an active
        # partner too); "stranger" works with another program; "any" is
        # the class "any partner of the program".
        "to": st.sampled_from(["partner", "other", "stranger", "any"]),
        "classes": st.lists(
            st.sampled_from([GEN, MH, SU]), min_size=1, max_size=3, unique=True
        ),
        "in_error": st.booleans(),
        "revoked": st.booleans(),
        "signed_offset": st.integers(-400, 3),
        "expires_offset": st.one_of(st.none(), st.integers(-5, 400)),
        "event": st.booleans(),
        "discloser": st.booleans(),
        "described": st.booleans(),
        "revocable": st.booleans(),
        "signed": st.booleans(),
        "method": st.sampled_from(["signed_form", "electronic", "verbal"]),
        "purpose": st.sampled_from(
            ["treatment", "care_coordination", "housing", "payment", "operations"]
        ),
        "redisclosure": st.booleans(),
    }
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    specs=st.lists(consent_specs, max_size=4),
    agency=st.sampled_from(["partner", "stranger"]),
    info_class=st.sampled_from([GEN, MH, SU]),
)
def test_the_decision_is_the_plain_reading_of_the_rules(specs, agency, info_class):
    program = ProgramFactory()
    other_program = ProgramFactory()
    person = PersonFactory(program=program)
    agencies = {
        "partner": AgencyFactory(programs=[program]),
        "other": AgencyFactory(programs=[program]),
        "stranger": AgencyFactory(programs=[other_program]),
    }
    consents: list[Consent] = []
    for spec in specs:
        expires = (
            TODAY + datetime.timedelta(days=spec["expires_offset"])
            if spec["expires_offset"] is not None
            else None
        )
        signed_on = TODAY + datetime.timedelta(days=spec["signed_offset"])
        consents.append(
            ConsentFactory.build(
                pk=len(consents) + 1,
                person=person,
                program=program,
                recorded_by=None,
                agency=None if spec["to"] == "any" else agencies[spec["to"]],
                recipient_kind="program_partners" if spec["to"] == "any" else "agency",
                info_classes=spec["classes"],
                deleted_at=NOON if spec["in_error"] else None,
                revoked_at=NOON if spec["revoked"] else None,
                signed_on=signed_on,
                expires_on=expires,
                expiry_event="when treatment ends" if spec["event"] else "",
                discloser="The program" if spec["discloser"] else "",
                information_description="History" if spec["described"] else "",
                right_to_revoke_stated=spec["revocable"],
                signature_obtained=spec["signed"],
                method=spec["method"],
                purpose=spec["purpose"],
                redisclosure_statement=spec["redisclosure"],
            )
        )
    decision = consent_decision_for(
        person=person,
        agency_id=agencies[agency].pk,
        info_classes=[info_class],
        at=NOON,
        consents=consents,
    )
    assert decision.allowed == plain_reading(specs, agency, info_class)
    if decision.allowed:
        assert decision.consent in consents
