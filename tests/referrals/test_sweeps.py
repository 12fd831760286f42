"""The referral sweeps, in process: no-response notices by the program's own
date, escalation to managers N days later, idle expiry; each once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from followups import channels
from navigator.links import absolute_url
from navigator.models import AuditEvent, Membership, Role
from referrals import sweeps
from referrals.models import (
    AgencyKind,
    NoticeKind,
    ReasonCode,
    ReferralNotice,
    ReferralSettings,
    ReferralStatus,
    ReferralStatusChange,
)
from referrals.services import referral_expire
from tests.factories import PersonFactory, ProgramFactory, member
from tests.referrals.factories import partner_of, referral_for

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
D = datetime.date(2026, 1, 14)  # a respond-by date (winter: LA is UTC-8)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(program_a):
    """A requested referral of program A (Los Angeles) due by ``D``."""
    caseworker = member(program_a, Role.CASEWORKER, email="cw@example.org")
    person = PersonFactory(program=program_a, first_name="Rosalind", last_name="Ng")
    agency = partner_of(program_a, name="Harbor Detox Center", kind=AgencyKind.DETOX)
    referral = referral_for(
        person,
        agency,
        by=caseworker,
        respond_by=D,
        status_changed_at=at(13, 18),
    )
    return referral


def notices(kind: str = NoticeKind.NO_RESPONSE) -> list[int]:
    return list(
        ReferralNotice.objects.filter(kind=kind).values_list("referral_id", flat=True)
    )


class TestNoResponse:
    def test_due_from_the_programs_next_local_day_not_utcs(self, world):
        # 07:30 UTC on the 15th is still 23:30 on the 14th in Los Angeles.
        sweeps.sweep(now=at(15, 7, 30))
        assert notices() == [] and mail.outbox == []
        # 00:30 on the 15th in Los Angeles.
        sweeps.sweep(now=at(15, 8, 30))
        assert notices() == [world.pk]
        assert [m.to for m in mail.outbox] == [["cw@example.org"]]

    def test_a_program_east_of_utc_is_due_before_utcs_next_day(self, program_b):
        program_b.time_zone = "Pacific/Auckland"  # UTC+13 in January
        program_b.save()
        worker = member(program_b, Role.CASEWORKER)
        referral = referral_for(
            PersonFactory(program=program_b),
            partner_of(program_b),
            by=worker,
            respond_by=D,
            status_changed_at=at(13, 0),
        )
        sweeps.sweep(now=at(14, 10, 30))  # 23:30 on the 14th in Auckland
        assert notices() == []
        sweeps.sweep(now=at(14, 11, 30))  # still the 14th in UTC
        assert notices() == [referral.pk]

    def test_sent_once_however_often_the_sweep_runs(self, world):
        for hour in (9, 10, 23):
            sweeps.sweep(now=at(15, hour))
        out = io.StringIO()
        call_command("send_referral_notices", stdout=out)
        assert "no-response notices 0" in out.getvalue()
        assert len(mail.outbox) == 1
        assert ReferralNotice.objects.count() == 1

    def test_the_text_names_no_person_agency_or_kind_of_care(self, world):
        sweeps.sweep(now=at(15, 9))
        message = mail.outbox[0]
        text = f"{message.subject}\n{message.body}".lower()
        for secret in ("rosalind", "ng ", "harbor", "detox", "needs an intake"):
            assert secret not in text
        assert "a referral you sent has had no answer by its respond-by date" in text
        assert absolute_url(sweeps.referral_path(world.pk)) in message.body
        assert message.body.count("http") == 1

    def test_answered_closed_or_undated_referrals_get_none(self, world, program_a):
        by = world.created_by
        person = world.person
        for status in (ReferralStatus.ACCEPTED, ReferralStatus.DRAFT):
            referral_for(person, world.agency, by=by, status=status, respond_by=D)
        referral_for(person, world.agency, by=by, respond_by=None)
        referral_for(person, world.agency, by=by, respond_by=D + datetime.timedelta(2))
        sweeps.sweep(now=at(15, 9))
        assert notices() == [world.pk]

    def test_unassigned_goes_to_the_sender_and_a_leaver_to_nobody(
        self, world, program_a
    ):
        sender = member(program_a, Role.NAVIGATOR, email="sender@example.org")
        unassigned = referral_for(
            world.person, world.agency, by=sender, assigned_to=None, respond_by=D
        )
        Membership.objects.filter(user=world.assigned_to).update(is_active=False)
        sweeps.sweep(now=at(15, 9))
        # Both recorded: the one with nobody to reach is not retried for ever.
        assert sorted(notices()) == sorted([world.pk, unassigned.pk])
        assert [m.to for m in mail.outbox] == [["sender@example.org"]]

    def test_a_failed_send_leaves_no_notice_and_is_retried_under_one_key(
        self, world, monkeypatch
    ):
        real = channels.send_email
        keys: list[str] = []

        def failing(**kwargs):
            keys.append(kwargs["key"])
            raise ConnectionError("mail server down")

        monkeypatch.setattr(channels, "send_email", failing)
        stats = sweeps.sweep(now=at(15, 9))
        assert stats["failed"] == 1
        assert notices() == []
        monkeypatch.setattr(channels, "send_email", real)
        sweeps.sweep(now=at(15, 9, 1))
        assert notices() == [world.pk]
        assert mail.outbox[0].extra_headers["Message-ID"] == f"<{keys[0]}@navigator>"


class TestEscalation:
    @pytest.fixture
    def managers(self, program_a):
        ReferralSettings.objects.create(program=program_a, escalate_after_days=2)
        return [
            member(program_a, Role.PROGRAM_MANAGER, email=f"m{i}@example.org")
            for i in (1, 2)
        ]

    def test_managers_told_once_n_days_after_the_notice_was_due(self, world, managers):
        sweeps.sweep(now=at(15, 9))  # the 15th: the caseworker
        sweeps.sweep(now=at(16, 20))  # the 16th: one day on, nothing more
        assert notices(NoticeKind.ESCALATED) == []
        assert len(mail.outbox) == 1
        sweeps.sweep(now=at(17, 9))  # the 17th (local): two days on
        sweeps.sweep(now=at(18, 9))
        assert notices(NoticeKind.ESCALATED) == [world.pk]
        told = sorted(m.to[0] for m in mail.outbox[1:])
        assert told == ["m1@example.org", "m2@example.org"]
        assert "cw@example.org" not in told
        body = mail.outbox[1].body.lower()
        assert "no answer for 2 days" in body and "detox" not in body

    def test_not_once_the_agency_answered(self, world, managers):
        sweeps.sweep(now=at(15, 9))
        world.status = ReferralStatus.ACCEPTED
        world.save()
        sweeps.sweep(now=at(20, 9))
        assert notices(NoticeKind.ESCALATED) == []
        assert len(mail.outbox) == 1

    def test_another_programs_managers_are_not_told(self, world, managers):
        other = ProgramFactory()
        member(other, Role.PROGRAM_MANAGER, email="elsewhere@example.org")
        sweeps.sweep(now=at(20, 9))
        assert "elsewhere@example.org" not in [m.to[0] for m in mail.outbox]


class TestExpiry:
    def test_expires_after_the_threshold_not_before(self, world, program_a):
        ReferralSettings.objects.create(program=program_a, expire_after_days=10)
        changed = world.status_changed_at
        sweeps.sweep(
            now=changed + datetime.timedelta(days=10) - datetime.timedelta(minutes=1)
        )
        world.refresh_from_db()
        assert world.status == ReferralStatus.REQUESTED
        sweeps.sweep(now=changed + datetime.timedelta(days=10, minutes=1))
        world.refresh_from_db()
        assert (world.status, world.status_reason) == (
            ReferralStatus.FAILED,
            ReasonCode.EXPIRED,
        )
        [move] = ReferralStatusChange.objects.filter(referral=world)
        assert (move.from_status, move.to_status, move.by) == (
            "requested",
            "failed",
            None,
        )
        assert (
            AuditEvent.objects.filter(
                object_id=str(world.pk), changes__status=["requested", "failed"]
            ).count()
            == 1
        )

    def test_every_open_sent_state_expires_once_final_and_drafts_never(self, world):
        long_ago = world.status_changed_at - datetime.timedelta(days=400)
        by, person, agency = world.created_by, world.person, world.agency
        rows = {
            status: referral_for(
                person, agency, by=by, status=status, status_changed_at=long_ago
            )
            for status in ReferralStatus.values
        }
        now = at(20, 9)
        sweeps.sweep(now=now)
        sweeps.sweep(now=now)
        for status, referral in rows.items():
            referral.refresh_from_db()
            if status in sweeps.EXPIRABLE:
                assert referral.status == ReferralStatus.FAILED, status
                assert referral.history.count() == 1
            else:
                assert referral.status == status
                assert referral.history.count() == 0
        assert set(sweeps.EXPIRABLE) == {
            "requested",
            "accepted",
            "in-progress",
            "on-hold",
        }

    def test_referral_expire_is_idempotent_and_respects_a_later_move(self, world):
        cutoff = world.status_changed_at + datetime.timedelta(minutes=1)
        assert referral_expire(referral_id=world.pk, idle_since=cutoff) is True
        assert referral_expire(referral_id=world.pk, idle_since=cutoff) is False
        assert world.history.count() == 1
        fresh = referral_for(world.person, world.agency, by=world.created_by)
        earlier = fresh.status_changed_at - datetime.timedelta(minutes=1)
        assert referral_expire(referral_id=fresh.pk, idle_since=earlier) is False


def test_anything_due_tells_the_dispatcher(world):
    assert sweeps.anything_due(now=at(14, 9)) is False
    assert sweeps.anything_due(now=at(15, 9)) is True
    sweeps.sweep(now=at(15, 9))
    assert sweeps.anything_due(now=at(15, 10)) is False


def test_the_beat_dispatcher_runs_the_sweep(world, settings, monkeypatch):
    from referrals import tasks

    settings.REFERRAL_SWEEP_PARALLEL = 2
    monkeypatch.setattr(sweeps, "anything_due", lambda: True)
    # Eager in tests: the two published sweeps run here, one after the other.
    assert tasks.dispatch_referral_sweeps() == 2
    assert "referrals-sweep" in settings.CELERY_BEAT_SCHEDULE
    assert (
        settings.CELERY_BEAT_SCHEDULE["referrals-sweep"]["task"]
        == tasks.dispatch_referral_sweeps.name
    )


def test_the_unique_notice_is_the_guard_against_a_second_sender(world):
    # A sweep that locked the referral after another sweep's commit (its
    # snapshot older than that commit) finds the notice taken: no send.
    ReferralNotice.objects.create(referral=world, kind=NoticeKind.NO_RESPONSE)
    config = ReferralSettings(program=world.program)
    assert (
        sweeps._notify(NoticeKind.NO_RESPONSE, world, [world.assigned_to], config)
        is False
    )
    assert mail.outbox == []
    assert ReferralNotice.objects.count() == 1
