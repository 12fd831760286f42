import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from cases.models import Concern, Disposition
from followups import reminders, services
from followups.models import (
    Delivery,
    DeliveryStatus,
    Followup,
    FollowupSettings,
    NotificationPreference,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from navigator.models import Role
from tests.factories import EncounterFactory, PersonFactory, member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db


def later(minutes: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_due_reminder_is_sent_once_by_email_with_a_link(navigator_a):
    followup = schedule(navigator_a, in_minutes=30)  # inside the 60-minute lead
    stats = reminders.sweep()
    assert stats["sent"] == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [navigator_a.email]
    assert f"/followups/{followup.pk}/" in message.body
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.provider_id
    # Sweeping again sends nothing more.
    assert reminders.sweep()["claimed"] == 0
    assert len(mail.outbox) == 1


def test_not_yet_due_reminder_waits(navigator_a):
    schedule(navigator_a, in_minutes=180)
    assert reminders.sweep()["claimed"] == 0
    assert reminders.sweep(now=later(121))["sent"] == 1


def test_followup_in_a_rolled_back_transaction_sends_nothing(navigator_a):
    person = PersonFactory(program=navigator_a.memberships.first().program)
    with pytest.raises(RuntimeError), transaction.atomic():
        schedule(navigator_a, person=person, in_minutes=5)
        raise RuntimeError("the request failed after scheduling")
    assert not Followup.objects.exists()
    assert reminders.sweep()["claimed"] == 0
    assert mail.outbox == []


def test_texts_carry_no_health_information(navigator_a, program_a):
    person = PersonFactory(
        program=program_a, phone="+15550100", sms_consent=True, first_name="Zelda"
    )
    encounter = EncounterFactory(
        person=person,
        concerns=[Concern.SUICIDAL_IDEATION, Concern.SUBSTANCE_USE],
        narrative="Heard voices; relapse on opioids",
        disposition=Disposition.INVOLUNTARY_EVALUATION,
    )
    FollowupSettings.objects.update_or_create(
        program=program_a,
        defaults={
            "quiet_hours_start": datetime.time(0, 0),
            "quiet_hours_end": datetime.time(0, 0),
        },
    )
    schedule(
        navigator_a,
        person=person,
        encounter=encounter,
        in_minutes=30,
        purpose="check on suicidal ideation and detox bed",
        remind_person=True,
    )
    with override_settings(
        SMS_BACKEND="tests.followups.test_reminder_engine.MemorySMS"
    ):
        MemorySMS.sent.clear()
        reminders.sweep()
    texts = [f"{m.subject}{m.body}" for m in mail.outbox] + [
        b for _, b in MemorySMS.sent
    ]
    assert len(texts) == 2
    forbidden = [
        "suicid",
        "opioid",
        "voices",
        "detox",
        "substance",
        "involuntary",
        "mental",
        "relapse",
        "Zelda",
        person.last_name,
    ]
    for text in texts:
        for word in forbidden:
            assert word.lower() not in text.lower(), (word, text)


class MemorySMS:
    sent: list[tuple[str, str]] = []

    def send(self, *, to, body, key):
        self.sent.append((to, body))
        return f"mem-{key}"


class FailingSMS:
    def send(self, *, to, body, key):
        raise ConnectionError("provider down")


def test_quiet_hours_defer_messages_to_people(navigator_a, program_a):
    FollowupSettings.objects.update_or_create(
        program=program_a,
        defaults={
            "quiet_hours_start": datetime.time(21),
            "quiet_hours_end": datetime.time(8),
        },
    )
    config = FollowupSettings.objects.get(program=program_a)
    tz = program_a.tz
    late_evening = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=tz)
    assert reminders.in_quiet_hours(config, late_evening)
    assert reminders.after_quiet_hours(config, late_evening) == datetime.datetime(
        2026, 3, 11, 8, 0, tzinfo=tz
    )
    early = datetime.datetime(2026, 3, 11, 6, 0, tzinfo=tz)
    assert reminders.after_quiet_hours(config, early) == datetime.datetime(
        2026, 3, 11, 8, 0, tzinfo=tz
    )
    noon = datetime.datetime(2026, 3, 11, 12, 0, tzinfo=tz)
    assert reminders.after_quiet_hours(config, noon) == noon


def test_reminder_at_nine_los_angeles_across_dst(navigator_a, program_a):
    """09:00 local before and after the 2027-03-14 change; reminded 08:00 local."""
    tz = program_a.tz
    person = PersonFactory(program=program_a)
    before = services.followup_schedule(
        by=navigator_a,
        person=person,
        method="phone",
        due_at=datetime.datetime(2027, 3, 12, 9, 0, tzinfo=tz),  # PST, UTC-8
    )
    after = services.followup_schedule(
        by=navigator_a,
        person=person,
        method="phone",
        due_at=datetime.datetime(2027, 3, 15, 9, 0, tzinfo=tz),  # PDT, UTC-7
    )
    utc = datetime.UTC
    assert Reminder.objects.get(followup=before).send_after == datetime.datetime(
        2027, 3, 12, 16, 0, tzinfo=utc
    )
    assert Reminder.objects.get(followup=after).send_after == datetime.datetime(
        2027, 3, 15, 15, 0, tzinfo=utc
    )
    assert (
        reminders.sweep(now=datetime.datetime(2027, 3, 15, 14, 59, tzinfo=utc))["sent"]
        == 1
    )  # only the earlier one
    assert (
        reminders.sweep(now=datetime.datetime(2027, 3, 15, 15, 0, tzinfo=utc))["sent"]
        == 1
    )
    subjects = [m.subject for m in mail.outbox]
    assert "9:00 AM PST" in subjects[0] and "9:00 AM PDT" in subjects[1]


def test_failing_channel_retries_then_fails_after_max_attempts(navigator_a, program_a):
    NotificationPreference.objects.create(
        user=navigator_a, channel="sms", phone="+1555"
    )
    schedule(navigator_a, in_minutes=30)
    now = timezone.now()
    with override_settings(
        SMS_BACKEND="tests.followups.test_reminder_engine.FailingSMS",
        REMINDER_MAX_ATTEMPTS=3,
    ):
        for step in range(6):
            reminders.sweep(now=now + datetime.timedelta(hours=step))
    reminder = Reminder.objects.get()
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == 3
    assert "provider down" in reminder.last_error
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED


def test_expired_claim_is_taken_again(navigator_a, settings):
    schedule(navigator_a, in_minutes=30)
    ids = reminders.claim_due(limit=10)
    assert len(ids) == 1
    # The worker that claimed it died: nothing else may take it during the lease…
    assert reminders.claim_due(limit=10) == []
    # …and after the lease another does.
    after = timezone.now() + datetime.timedelta(
        seconds=settings.REMINDER_CLAIM_SECONDS + 1
    )
    assert reminders.claim_due(limit=10, now=after) == ids
    assert Reminder.objects.get().attempts == 2


def test_digest_once_a_day_and_escalation_once_per_manager(navigator_a, program_a):
    manager = member(program_a, Role.PROGRAM_MANAGER)
    FollowupSettings.objects.update_or_create(
        program=program_a, defaults={"digest_hour": 0, "escalate_after_days": 2}
    )
    followup = schedule(navigator_a, due_at=timezone.now() - datetime.timedelta(days=3))
    for _ in range(3):
        reminders.plan_periodic()
    assert Reminder.objects.filter(kind=ReminderKind.DIGEST).count() == 1
    escalation = Reminder.objects.get(kind=ReminderKind.ESCALATION)
    assert escalation.recipient_user == manager and escalation.followup == followup
    reminders.sweep()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([navigator_a.email, manager.email])
    assert any("1 overdue follow-up" in m.subject for m in mail.outbox)


def test_completed_followup_reminder_is_not_sent(navigator_a):
    followup = schedule(navigator_a, in_minutes=30)
    ids = reminders.claim_due(limit=10)
    services.followup_complete(by=navigator_a, followup=followup, outcome="reached")
    assert reminders.deliver(ids[0]) == "skipped"  # cancelled when completed
    assert mail.outbox == []


def test_digest_only_navigator_gets_no_per_followup_reminder(navigator_a):
    NotificationPreference.objects.create(user=navigator_a, channel="digest_only")
    schedule(navigator_a, in_minutes=30)
    assert not Reminder.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SKIP LOCKED needs PostgreSQL; SQLite serialises writers instead",
)
def test_two_sweeps_at_once_send_each_reminder_once(program_a):
    navigator = member(program_a, Role.NAVIGATOR)
    person = PersonFactory(program=program_a)
    for _ in range(60):
        schedule(navigator, person=person, in_minutes=30)
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(reminders.sweep(batch_size=7))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in results) == 60
    assert len(mail.outbox) == 60
    assert Delivery.objects.count() == 60


def test_a_batch_the_broker_refuses_is_released_without_counting_an_attempt(
    navigator_a,
):
    """The sweep task hands claimed batches to workers through the broker;
    with the broker down the claims are undone (the rows are the record of
    the work), so the next sweep sends them and no attempt was spent."""
    from followups.tasks import sweep_due_reminders
    from tests.broker import broker_refusing

    schedule(navigator_a, in_minutes=30)
    schedule(navigator_a, in_minutes=40)
    with broker_refusing():
        stats = sweep_due_reminders()
    assert stats["claimed"] == 2  # one batch, then it stopped
    assert list(Reminder.objects.values_list("attempts", "claimed_until")) == [
        (0, None),
        (0, None),
    ]
    assert mail.outbox == []
    assert sweep_due_reminders()["claimed"] == 2  # broker back (tasks inline)
    assert len(mail.outbox) == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}
