"""The caseworker's board: referrals by status, the filters, paging, and the
one-tap moves (legal ones recorded for the agency, an illegal one refused
with the moves allowed, nothing changed)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import Followup
from navigator.models import AuditAction, AuditEvent
from referrals.models import ReferralStatus, Urgency
from tests.factories import PersonFactory
from tests.referrals.factories import partner_of, referral_for
from tests.referrals.pages_helpers import scene

pytestmark = pytest.mark.django_db

S = ReferralStatus
BOARD = "/referrals/"
# Session, user, memberships, the filter's agencies and colleagues, the
# page's rows and their count, drafts, closed ones, the program's settings
# (for the follow-up an acceptance proposes), the disclosure insert, the
# session save: fixed, whatever the number of referrals.
BOARD_MAX_QUERIES = 14


@pytest.fixture
def s(program_a, navigator_a):
    return scene(program_a, navigator_a)


def names_in(html: str, column: str) -> list[str]:
    section = re.search(
        rf'<section class="board-column[^"]*" aria-labelledby="col-{column}">(.*?)</section>',
        html,
        re.S,
    )
    assert section, column
    return re.findall(r'<h3 id="ref-\d+-title"[^>]*><a [^>]*>([^<]+)</a>', section[1])


def test_the_board_shows_open_referrals_by_status_and_folds_the_rest(s):
    for status, last in [
        (S.REQUESTED, "Req"),
        (S.ACCEPTED, "Acc"),
        (S.IN_PROGRESS, "Prog"),
        (S.ON_HOLD, "Hold"),
        (S.DRAFT, "Draft"),
        (S.COMPLETED, "Done"),
    ]:
        person = PersonFactory(program=s.program, first_name="P", last_name=last)
        referral_for(person, s.agency, by=s.user, status=status)
    response = s.client.get(BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert names_in(html, "requested") == ["P Req"]
    assert names_in(html, "accepted") == ["P Acc"]
    assert names_in(html, "in-progress") == ["P Prog"]
    assert names_in(html, "on-hold") == ["P Hold"]
    drafts, closed = html.split("Drafts (")[1].split("Recently closed")
    assert "P Draft" in drafts and "P Done" not in drafts
    assert "P Done" in closed


def test_filters_agency_urgency_overdue_assigned_status_person(
    s, program_a, navigator_a, manager_a
):
    other = partner_of(program_a, name="Shelter House")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    rows = {
        "late": referral_for(
            PersonFactory(program=program_a, first_name="Late", last_name="One"),
            s.agency,
            by=navigator_a,
            respond_by=yesterday,
        ),
        "urgent": referral_for(
            PersonFactory(program=program_a, first_name="Urgent", last_name="One"),
            other,
            by=navigator_a,
            urgency=Urgency.URGENT,
            respond_by=timezone.localdate() + datetime.timedelta(days=2),
        ),
        "theirs": referral_for(
            PersonFactory(program=program_a, first_name="Theirs", last_name="One"),
            other,
            by=manager_a,
            status=S.ACCEPTED,
        ),
    }

    def shown(query: str) -> set[str]:
        response = s.client.get(BOARD + query)
        assert response.status_code == 200
        html = response.content.decode()
        return {k for k, r in rows.items() if f'id="ref-{r.pk}-title"' in html}

    assert shown("") == {"late", "urgent", "theirs"}
    assert shown(f"?agency={other.pk}") == {"urgent", "theirs"}
    assert shown("?urgency=urgent") == {"urgent"}
    assert shown("?overdue=true") == {"late"}
    assert shown("?overdue=false") == {"urgent", "theirs"}
    assert shown(f"?assigned={navigator_a.pk}") == {"late", "urgent"}
    assert shown("?status=accepted") == {"theirs"}
    assert shown(f"?person={rows['late'].person_id}") == {"late"}


def test_a_bad_filter_is_named_and_not_applied(s):
    response = s.client.get(BOARD + "?overdue=maybe&agency=1e400")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="filter-errors"' in html
    assert "<code>overdue</code>" in html and "<code>agency</code>" in html


def test_the_board_pages_and_its_queries_do_not_grow(
    s, django_assert_max_num_queries, settings
):
    people = [PersonFactory(program=s.program) for _ in range(3)]
    for i in range(40):
        referral_for(people[i % 3], s.agency, by=s.user, status=S.REQUESTED)
    for status in (S.DRAFT, S.COMPLETED, S.ACCEPTED):
        referral_for(people[0], s.agency, by=s.user, status=status)
    with django_assert_max_num_queries(BOARD_MAX_QUERIES):
        response = s.client.get(BOARD)
    html = response.content.decode()
    assert (
        html.count('class="card mb-2 referral-card') == 25 + 1
    )  # the page, and the draft
    assert 'rel="next"' in html
    with django_assert_max_num_queries(BOARD_MAX_QUERIES):
        assert s.client.get(BOARD + "?page=2").status_code == 200


def test_staff_of_another_program_see_none_of_it(s, navigator_b):
    referral = referral_for(s.person, s.agency, by=s.user)
    client = s.client
    client.force_login(navigator_b)
    html = client.get(BOARD).content.decode()
    assert f'id="ref-{referral.pk}-title"' not in html
    # Nor may they filter by the agency: it is not one they are offered.
    response = client.get(BOARD + f"?agency={s.agency.pk}")
    assert "<code>agency</code>" in response.content.decode()


# --- moves from the board ----------------------------------------------------


def move(s, referral, action: str, **fields):
    return s.client.post(
        reverse("referral-move", args=[referral.pk]),
        {"action": action, "next": BOARD, **fields},
    )


def test_accept_from_the_board_is_recorded_for_the_agency_with_the_follow_up(s):
    referral = referral_for(s.person, s.agency, by=s.user)
    html = s.client.get(BOARD).content.decode()
    # The proposed call: three days on (the default settings), at 10:00.
    due = timezone.localdate() + datetime.timedelta(days=3)
    assert f'value="{due:%Y-%m-%d}T10:00"' in html
    response = move(
        s,
        referral,
        "accept",
        schedule_followup="on",
        followup_due_at=f"{due:%Y-%m-%d}T10:00",
    )
    assert response.status_code == 302 and response["Location"] == BOARD
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED
    change = referral.history.get()
    assert (change.by, change.on_behalf_of_agency) == (s.user, True)
    followup = Followup.objects.get(person=s.person)
    local = timezone.localtime(followup.due_at, s.program.tz)
    assert (local.date(), local.hour) == (due, 10)
    detail = s.client.get(reverse("referral-detail", args=[referral.pk]))
    assert "recorded for the agency by" in detail.content.decode()


def test_accept_without_the_follow_up_schedules_none(s):
    referral = referral_for(s.person, s.agency, by=s.user)
    move(s, referral, "accept", followup_due_at="2030-01-01T10:00")
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED
    assert not Followup.objects.filter(person=s.person).exists()


def test_decline_asks_why_inline_and_completes_with_an_outcome(s):
    declined = referral_for(s.person, s.agency, by=s.user)
    refused = move(s, declined, "reject")
    assert refused.status_code == 400
    assert "Choose why." in refused.content.decode()
    declined.refresh_from_db()
    assert declined.status == S.REQUESTED
    ok = move(s, declined, "reject", reason_code="no_capacity", declined_by="agency")
    assert ok.status_code == 302
    declined.refresh_from_db()
    assert (declined.status, declined.status_reason) == (S.REJECTED, "no_capacity")

    going = referral_for(s.person, s.agency, by=s.user, status=S.IN_PROGRESS)
    assert move(s, going, "complete").status_code == 400
    assert move(s, going, "complete", outcome="connected").status_code == 302
    going.refresh_from_db()
    assert (going.status, going.outcome) == (S.COMPLETED, "connected")


def test_an_illegal_move_says_which_are_allowed_and_changes_nothing(s):
    referral = referral_for(s.person, s.agency, by=s.user, status=S.COMPLETED)
    before = AuditEvent.objects.filter(action=AuditAction.UPDATE).count()
    response = move(s, referral, "accept")
    assert response.status_code == 409
    html = response.content.decode()
    assert "cannot become accepted" in html and "Allowed: none" in html
    referral.refresh_from_db()
    assert referral.status == S.COMPLETED
    assert not referral.history.exists()
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE).count() == before
    started = referral_for(s.person, s.agency, by=s.user, status=S.REQUESTED)
    response = move(s, started, "complete", outcome="connected")
    assert response.status_code == 409
    html = response.content.decode()
    assert "A requested referral cannot become completed. Allowed: accepted," in html


def test_the_board_offers_only_the_moves_the_status_allows(s):
    referral = referral_for(s.person, s.agency, by=s.user, status=S.IN_PROGRESS)
    html = s.client.get(BOARD).content.decode()
    card = html.split(f'id="ref-{referral.pk}-title"')[1].split("</article>")[0]
    offered = set(re.findall(r'name="action" value="(\w+)"', card))
    assert offered == {"hold", "complete", "cancel"}
