"""Follow-ups, the reminders they cause, and every delivery of a reminder.

The database is the truth (REFERENCE.md, Celery pitfalls): a Reminder row says
what must be sent and when; a periodic sweep claims due rows with
SELECT … FOR UPDATE SKIP LOCKED; a Delivery row, unique per (reminder,
channel, recipient), is the outbox entry whose key makes each send happen
once. See docs/decisions/0003-reminders-exactly-once.md.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cases.models import Disposition, Encounter, FamilyContact, Person
from navigator.fields import REASON_MAX_LENGTH, BoundedTextField
from navigator.models import Program


class Method(models.TextChoices):
    PHONE = "phone", "Phone call"
    IN_PERSON = "in_person", "In person"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"


class Priority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"


class Status(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class Outcome(models.TextChoices):
    REACHED = "reached", "Reached, doing OK"
    REACHED_NEEDS_HELP = "reached_needs_help", "Reached, needs more help"
    LEFT_MESSAGE = "left_message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number / moved"
    DECLINED = "declined", "Declined contact"
    OTHER = "other", "Other"


class AttemptOutcome(models.TextChoices):
    """A try that did not reach anyone: recorded as an attempt, and the
    follow-up stays open (issue 8: "No answer" must not close an urgent
    follow-up)."""

    NO_ANSWER = Outcome.NO_ANSWER.value, Outcome.NO_ANSWER.label
    LEFT_MESSAGE = Outcome.LEFT_MESSAGE.value, Outcome.LEFT_MESSAGE.label


# What ``complete`` accepts: the person (or contact) was reached, or the
# follow-up is closed on purpose (declined, wrong number, other). "No answer"
# and "Left a message" stay in ``Outcome`` for follow-ups completed with them
# before attempts existed.
CLOSING_OUTCOMES = tuple(o for o in Outcome.values if o not in AttemptOutcome.values)


# A mis-tapped completion is undone by its author within this window: long
# enough to notice on the page the tap returned to, short enough that nobody
# has acted on the closed follow-up meanwhile (issue 8: "undone by its author
# for a few minutes"). Later, schedule a new follow-up instead.
UNDO_WINDOW = datetime.timedelta(minutes=10)


class FollowupSettings(models.Model):
    """A program's reminder rules. Created with defaults on first use."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="followup_settings"
    )
    reminder_lead_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text="Remind the assigned navigator this long before the due time.",
    )
    digest_hour = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(23)],
        help_text="Local hour at which navigators get their daily overdue digest.",
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Tell the program managers when a follow-up is overdue this long.",
    )
    person_reminder_lead_minutes = models.PositiveIntegerField(
        default=24 * 60,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text="Remind the person served this long before (with consent).",
    )
    quiet_hours_start = models.TimeField(
        default=datetime.time(21, 0),
        help_text="No messages to people served from this local time…",
    )
    quiet_hours_end = models.TimeField(
        default=datetime.time(8, 0), help_text="…until this local time."
    )
    # Unsuccessful tries (issue 8): retry after this long, and after this many
    # tell the program managers. 1-72 h: a retry sooner than an hour is the
    # same try; later than three days is not a retry of an urgent call.
    attempt_retry_hours = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text="After an unanswered try, the follow-up is due again this "
        "many hours later.",
    )
    attempt_limit = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="After this many unanswered tries, the program managers are "
        "told (the follow-up stays open).",
    )
    sender_name = models.CharField(
        max_length=40,
        default="Navigator",
        help_text="How messages to people served are signed. Keep it neutral: "
        "a program name can itself disclose a health condition.",
    )

    def __str__(self) -> str:
        return f"Follow-up settings of {self.program}"


class FollowupPlanStep(models.Model):
    """Default follow-ups proposed when an encounter ends with a disposition."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="followup_plan_steps"
    )
    disposition = models.CharField(max_length=30, choices=Disposition.choices)
    days_after = models.PositiveSmallIntegerField(validators=[MaxValueValidator(365)])
    method = models.CharField(max_length=12, choices=Method.choices)
    purpose = models.CharField(max_length=200, blank=True)
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.ROUTINE
    )

    class Meta:
        ordering = ["program", "disposition", "days_after"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "disposition", "days_after", "method"],
                name="followup_plan_step_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_disposition_display()} → {self.get_method_display()} +{self.days_after}d"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Email for each reminder"
    SMS = "sms", "Text message for each reminder"
    DIGEST_ONLY = "digest_only", "Daily digest only"


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    channel = models.CharField(
        max_length=12,
        choices=NotificationChannel.choices,
        default=NotificationChannel.EMAIL,
    )
    phone = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_channel_display()}"


class Followup(models.Model):
    # Set by the follow-up pages for their templates (followups/views/
    # _common.py, _with_overdue). An annotation only: not a field.
    is_overdue: bool

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="followups"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="followups"
    )
    encounter = models.ForeignKey(
        Encounter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
    )
    due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="followups_assigned",
    )
    method = models.CharField(max_length=12, choices=Method.choices)
    # With whom: the person (NULL) or one of their family / caregiver contacts.
    contact = models.ForeignKey(
        FamilyContact,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
    )
    purpose = models.CharField(max_length=200, blank=True)
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.ROUTINE
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    remind_person = models.BooleanField(
        default=False,
        help_text="Also remind the person served (only with their recorded consent).",
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    notes = BoundedTextField(max_length=10_000, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_reason = BoundedTextField(max_length=REASON_MAX_LENGTH, blank=True)
    # When the closing was recorded (``completed_at`` is when it happened and
    # may be earlier): the author may undo it for a few minutes after this.
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when unanswered tries reach the program's attempt limit: the
    # managers were told, and their overdue page shows it.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every reschedule / reassignment: reminders of an older
    # generation are obsolete, and the new one gets reminders of its own.
    generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["assigned_to", "due_at"],
                condition=Q(status="scheduled"),
                name="followup_open_by_assignee",
            ),
            models.Index(
                fields=["program", "due_at"],
                condition=Q(status="scheduled"),
                name="followup_open_by_program",
            ),
            models.Index(fields=["person", "due_at"], name="followup_person_due"),
            # The API list of every follow-up, in due order.
            models.Index(
                fields=["program", "due_at", "id"], name="followup_program_due"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up #{self.pk} ({self.get_method_display()}) due {self.due_at:%Y-%m-%d %H:%M}"


class FollowupAttempt(models.Model):
    """One unsuccessful try at a follow-up: who, when, how, what happened."""

    followup = models.ForeignKey(
        Followup, on_delete=models.PROTECT, related_name="attempts"
    )
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attempted_at = models.DateTimeField()
    method = models.CharField(max_length=12, choices=Method.choices)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)
    note = BoundedTextField(max_length=2_000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempted_at", "id"]
        indexes = [
            models.Index(
                fields=["followup", "attempted_at"], name="attempt_by_followup"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.get_method_display()}) at {self.attempted_at:%Y-%m-%d %H:%M}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Due soon (to the navigator)"
    DIGEST = "digest", "Daily overdue digest (to the navigator)"
    ESCALATION = "escalation", "Overdue escalation (to a program manager)"
    PERSON = "person", "Reminder to the person served"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Reminder(models.Model):
    """Something that must be sent once, at or after ``send_after``."""

    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="reminders"
    )
    followup = models.ForeignKey(
        Followup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    generation = models.PositiveIntegerField(default=1)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    recipient_person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    # The local day a digest covers (one digest per navigator per day).
    digest_date = models.DateField(null=True, blank=True)
    send_after = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    # Claims survive a killed worker: an expired claim is taken again, and
    # ``attempts`` (committed at claim time) bounds the retries.
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["send_after", "id"]
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=Q(status="pending"),
                name="reminder_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["followup", "generation", "kind", "recipient_user"],
                condition=Q(followup__isnull=False, recipient_user__isnull=False),
                name="reminder_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["followup", "generation", "kind", "recipient_person"],
                condition=Q(followup__isnull=False, recipient_person__isnull=False),
                name="reminder_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["kind", "recipient_user", "digest_date"],
                condition=Q(digest_date__isnull=False),
                name="reminder_one_digest_per_day",
            ),
            models.CheckConstraint(
                condition=Q(recipient_user__isnull=False)
                | Q(recipient_person__isnull=False),
                name="reminder_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} after {self.send_after:%Y-%m-%d %H:%M}"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class DeliveryStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message on one channel to one address: sent at most once."""

    # Set by the managers' pages for their templates, the address masked
    # (followups/views/_common.py, _mask). Annotations only: not fields.
    masked_recipient: str
    masked_error: str

    reminder = models.ForeignKey(
        Reminder, on_delete=models.PROTECT, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    recipient = models.CharField(max_length=254)
    # What was sent, in words without health information (subject line / SMS).
    summary = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING
    )
    provider_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "channel", "recipient"], name="delivery_once"
            )
        ]
        indexes = [
            # The list, newest first; and the managers' count of failures.
            models.Index(fields=["-created_at", "-id"], name="delivery_newest"),
            models.Index(
                fields=["reminder"],
                condition=Q(status="failed"),
                name="delivery_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}: {self.status}"

    @property
    def idempotency_key(self) -> str:
        """Stable per delivery: the channel backends drop a repeated key."""
        return f"navigator-delivery-{self.pk}"


class CalendarFeed(models.Model):
    """A navigator's private, revocable iCalendar feed URL."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
