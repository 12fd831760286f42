"""The person page: the record, its timeline, contacts and the familiar panel.

The timeline joins encounters and follow-ups (``cases.workspace.selectors``),
and the template loads the familiar-faces panel: the page composes several
features, so it lives in the workspace (docs/decisions/0010-layers.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from cases import selectors, services
from cases.consents.selectors import consent_panel_for
from cases.models import FamilyContact, Gender, Person, RaceEthnicity
from cases.views._common import _with_ages, _with_concern_labels
from cases.workspace import selectors as workspace_selectors
from cases.workspace.selectors import TimelineEntry
from navigator import disclosure
from navigator.http import AuthedRequest
from navigator.selectors import is_manager_of
from navigator.views import or_404, paginate
from referrals.lifecycle import OPEN
from referrals.models import Referral
from referrals.selectors import referral_is_overdue


class ReferralsPanel(TypedDict):
    open: list[Referral]
    closed_count: int


TIMELINE_PAGE_SIZE = 50

_GENDERS = dict(Gender.choices)
_RACES = dict(RaceEthnicity.choices)


@login_required
def person_detail(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = or_404(selectors.person_get_for, user=request.user, person_id=person_id)
    # HIPAA access accounting: every opening of a record is in the audit log.
    services.person_record_viewed(by=request.user, person=person)
    # One person's: every page of it stays reachable.
    entries = workspace_selectors.person_timeline(person=person)
    timeline = paginate(request, entries, TIMELINE_PAGE_SIZE, exact=True)
    for entry in timeline.object_list:
        # Later kinds (screening, referral, follow-up) bring their own template.
        entry["templates"] = [
            f"cases/timeline/{entry['kind']}.html",
            "cases/timeline/other.html",
        ]
        if entry["kind"] == "referral":
            entry["object"].is_overdue = entry.get("overdue", False)
    _with_concern_labels(
        e["object"] for e in timeline.object_list if e["kind"] == "encounter"
    )
    _with_ages([person])
    contacts = list(selectors.family_contacts_for(person=person))
    is_manager = is_manager_of(user=request.user, program_id=person.program_id)
    # Removed contacts are listed for managers, who may restore them.
    removed = (
        list(selectors.family_contacts_removed_for(person=person)) if is_manager else []
    )
    _timeline_and_contacts_shown(
        request, person, timeline.object_list, contacts + removed
    )
    referrals = _referrals_panel(request, person, entries)
    consents = consent_panel_for(user=request.user, person=person)
    disclosure.records_shown(
        by=request.user,
        records=[c.consent for c in consents],
        kind=disclosure.CONSENT,
        listed=False,
    )
    return render(
        request,
        "cases/person_detail.html",
        {
            "person": person,
            "gender_labels": [_GENDERS.get(v, v) for v in person.gender],
            "race_labels": [_RACES.get(v, v) for v in person.race_ethnicity],
            "contacts": contacts,
            "removed_contacts": removed,
            "timeline": timeline,
            "is_manager": is_manager,
            "referrals": referrals,
            "consents": consents,
        },
    )


# What each kind of timeline entry discloses. A kind not named here yet (a
# screening, a referral) is still audited, as "other timeline entries".
TIMELINE_DISCLOSES = {
    "encounter": disclosure.ENCOUNTER,
    "followup": disclosure.FOLLOWUP,
    "referral": disclosure.REFERRAL_SUMMARY,
}


def _referrals_panel(
    request: AuthedRequest, person: Person, entries: list[TimelineEntry]
) -> ReferralsPanel:
    """The person's open referrals (agency, status, awaiting a response or
    overdue) and how many are closed: templates/cases/people/_referrals.html.
    From the whole timeline (every referral is on it), not another query."""
    rows = [e["object"] for e in entries if isinstance(e["object"], Referral)]
    open_rows = [r for r in rows if r.status in OPEN]
    for referral in open_rows:
        referral.is_overdue = referral_is_overdue(referral)
    disclosure.records_shown(
        by=request.user,
        records=open_rows,
        kind=disclosure.REFERRAL_SUMMARY,
        listed=False,
    )
    return {"open": open_rows, "closed_count": len(rows) - len(open_rows)}


def _timeline_and_contacts_shown(
    request: AuthedRequest,
    person: Person,
    entries: Iterable[TimelineEntry],
    contacts: list[FamilyContact],
) -> None:
    # The same one event as the record itself (HIPAA access accounting),
    # naming the page's encounters, follow-ups and contacts.
    by = request.user
    for entry in entries:
        disclosure.note(
            by=by,
            person_id=person.pk,
            program_id=person.program_id,
            kind=TIMELINE_DISCLOSES.get(entry["kind"], disclosure.TIMELINE),
            object_id=getattr(entry["object"], "pk", None),
        )
    disclosure.records_shown(
        by=by,
        records=contacts,
        kind=disclosure.FAMILY_CONTACT,
        listed=False,
        program_id=person.program_id,
    )
