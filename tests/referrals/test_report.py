"""The managers' referral conversion report: sent → accepted → connected by
agency over a period in the program's time zone, its page and CSV export."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from navigator.errors import DomainError, NotFound, PermissionDenied
from navigator.models import AuditEvent, Role
from referrals.models import Agency, ReferralOutcome, ReferralStatus
from referrals.reports import referral_conversion
from tests.factories import PersonFactory, member
from tests.referrals.factories import partner_of, referral_for

S = ReferralStatus
UTC = datetime.UTC
MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
# 2026-03-10 12:00 in Los Angeles (PDT, UTC-7).
MID_MARCH = datetime.datetime(2026, 3, 10, 19, 0, tzinfo=UTC)


def sent(
    person,
    agency: Agency,
    by,
    status: str,
    *,
    at: datetime.datetime = MID_MARCH,
    answered_after: float | None = None,
    **fields,
):
    referral = referral_for(person, agency, by=by, status=status, **fields)
    referral.requested_at = at if status != S.DRAFT else None
    referral.responded_at = (
        at + datetime.timedelta(hours=answered_after)
        if answered_after is not None
        else None
    )
    referral.save(update_fields=["requested_at", "responded_at"])
    return referral


@pytest.fixture
def figures(program_a, manager_a):
    """Agency X: six sent (one each: connected, completed but the person
    declined, rejected, no answer yet, accepted then cancelled; one entered
    in error), a draft; agency Y: one connected."""
    x = partner_of(program_a, name="Agency X")
    y = partner_of(program_a, name="Agency Y")
    person = PersonFactory(program=program_a)
    sent(person, x, manager_a, S.COMPLETED, answered_after=1, outcome="connected")
    sent(
        person,
        x,
        manager_a,
        S.COMPLETED,
        answered_after=2,
        outcome=ReferralOutcome.PERSON_DECLINED,
    )
    sent(person, x, manager_a, S.REJECTED, answered_after=3)
    sent(person, x, manager_a, S.REQUESTED)
    sent(person, x, manager_a, S.CANCELLED, answered_after=4)
    sent(person, x, manager_a, S.ENTERED_IN_ERROR)
    sent(person, x, manager_a, S.DRAFT)
    sent(person, y, manager_a, S.COMPLETED, answered_after=10, outcome="connected")
    return x, y


def test_the_figures_of_a_hand_built_set(figures, program_a, manager_a):
    x, y = figures
    rows = referral_conversion(
        user=manager_a, program_id=program_a.pk, start=MARCH[0], end=MARCH[1]
    )
    by_agency = {r.agency_id: r for r in rows}
    assert [r.agency_id for r in rows] == [x.pk, y.pk, None]
    rx = by_agency[x.pk]
    # Person declined is completed, never connected; entered in error and
    # the draft were never sent.
    assert (rx.sent, rx.accepted, rx.connected) == (5, 3, 1)
    assert rx.median_response == datetime.timedelta(hours=2.5)
    assert (rx.accepted_percent, rx.connected_percent) == (60, 20)
    ry = by_agency[y.pk]
    assert (ry.sent, ry.accepted, ry.connected) == (1, 1, 1)
    total = rows[-1]
    assert (total.sent, total.accepted, total.connected) == (6, 4, 2)
    assert total.median_response == datetime.timedelta(hours=3)


def test_the_period_is_in_the_programs_time_zone(program_a, manager_a):
    agency = partner_of(program_a)
    person = PersonFactory(program=program_a)
    # Los Angeles: March starts at 08:00 UTC (PST), ends at 07:00 UTC on
    # April 1 (PDT since March 8).
    edges = {
        datetime.datetime(2026, 3, 1, 7, 59, tzinfo=UTC): False,
        datetime.datetime(2026, 3, 1, 8, 0, tzinfo=UTC): True,
        datetime.datetime(2026, 4, 1, 6, 59, tzinfo=UTC): True,
        datetime.datetime(2026, 4, 1, 7, 0, tzinfo=UTC): False,
    }
    for at in edges:
        sent(person, agency, manager_a, S.REQUESTED, at=at)
    rows = referral_conversion(
        user=manager_a, program_id=program_a.pk, start=MARCH[0], end=MARCH[1]
    )
    assert rows[-1].sent == sum(edges.values()) == 2
    one_day = referral_conversion(
        user=manager_a,
        program_id=program_a.pk,
        start=datetime.date(2026, 2, 28),
        end=datetime.date(2026, 2, 28),
    )
    assert one_day[-1].sent == 1


def test_only_the_programs_managers(program_a, program_b, navigator_a, manager_a):
    caseworker = member(program_a, Role.CASEWORKER)
    for user in (navigator_a, caseworker):
        with pytest.raises(PermissionDenied):
            referral_conversion(
                user=user, program_id=program_a.pk, start=MARCH[0], end=MARCH[1]
            )
    other = member(program_b, Role.PROGRAM_MANAGER)
    with pytest.raises(NotFound):
        referral_conversion(
            user=other, program_id=program_a.pk, start=MARCH[0], end=MARCH[1]
        )
    with pytest.raises(DomainError) as error:
        referral_conversion(
            user=manager_a, program_id=program_a.pk, start=MARCH[1], end=MARCH[0]
        )
    assert "end" in error.value.fields


def url(program, start=MARCH[0], end=MARCH[1], name="referral-report") -> str:
    return f"{reverse(name)}?program={program.pk}&start={start}&end={end}"


def test_the_page_shows_the_table_and_chart(client, figures, program_a, manager_a):
    client.force_login(manager_a)
    response = client.get(url(program_a))
    assert response.status_code == 200
    text = response.text
    assert "Agency X" in text and "Agency Y" in text
    assert "<svg" in text and "conversion-connected" in text
    assert "5</td>" in text
    # Without a period: the last 90 days, still a page.
    assert client.get(reverse("referral-report")).status_code == 200


def test_page_access(client, program_a, program_b, navigator_a):
    client.force_login(navigator_a)
    assert client.get(reverse("referral-report")).status_code == 403
    assert client.get(url(program_a)).status_code == 403
    assert client.get(url(program_a, name="referral-report-export")).status_code == 403
    other = member(program_b, Role.PROGRAM_MANAGER)
    client.force_login(other)
    assert client.get(url(program_a)).status_code == 404
    assert client.get(url(program_a, name="referral-report-export")).status_code == 404
    assert client.get(url(program_b)).status_code == 200


def test_bad_periods_are_a_400_naming_the_field(client, program_a, manager_a):
    client.force_login(manager_a)
    response = client.get(url(program_a, start=MARCH[1], end=MARCH[0]))
    assert response.status_code == 400
    assert "ends before it starts" in response.text
    response = client.get(
        f"{reverse('referral-report')}?program={program_a.pk}&start=3/1/2026&end=2026-03-31"
    )
    assert response.status_code == 400
    assert (
        client.get(
            url(program_a, start=MARCH[1], end=MARCH[0], name="referral-report-export")
        ).status_code
        == 400
    )


def test_the_csv_export_is_audited_and_cells_are_safe(
    client, figures, program_a, manager_a
):
    x, _ = figures
    x.name = "=HYPERLINK(evil)"
    x.save()
    client.force_login(manager_a)
    response = client.get(url(program_a, name="referral-report-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["agency", "agency_slug", "sent"]
    assert rows[1][0] == "'=HYPERLINK(evil)"
    assert rows[1][2:4] == ["5", "3"]
    assert rows[-1][0] == "All agencies"
    event = AuditEvent.objects.get(object_type="navigator.program", action="view")
    assert event.actor == manager_a
    assert event.changes["export"] == ["referral_conversion.csv", 2]
    assert event.changes["period"] == ["2026-03-01", "2026-03-31"]


def test_the_query_count_does_not_grow_with_agencies(
    client, program_a, manager_a, django_assert_max_num_queries
):
    person = PersonFactory(program=program_a)
    client.force_login(manager_a)

    def add(n: int) -> None:
        for _ in range(n):
            agency = partner_of(program_a)
            sent(
                person,
                agency,
                manager_a,
                S.COMPLETED,
                answered_after=1,
                outcome="connected",
            )

    add(2)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url(program_a)).status_code == 200
    add(20)
    with django_assert_max_num_queries(12) as many:
        assert client.get(url(program_a)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
