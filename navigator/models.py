"""The platform: programs, users and their roles, and the audit log."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def _validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}.")


class ResponseModel(models.TextChoices):
    EMBEDDED = "embedded", "Embedded (rides with officers)"
    ON_CALL = "on_call", "On call (called to a scene)"
    MHP_DISPATCHED = "mhp_dispatched", "MHP dispatched (instead of officers)"


class Program(models.Model):
    """A co-responder program; it may serve several jurisdictions."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    jurisdictions = models.JSONField(
        default=list, blank=True, help_text="Cities / counties served."
    )
    response_model = models.CharField(max_length=20, choices=ResponseModel.choices)
    time_zone = models.CharField(
        max_length=64, default="America/Los_Angeles", validators=[_validate_time_zone]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Sign-in rules of the program (navigator/accounts, navigator/sessions.py).
    require_mfa = models.BooleanField(
        "require MFA",
        default=False,
        help_text="Every navigator, caseworker and program manager of the "
        "program must sign in with a second factor (an authenticator app or a "
        "security key); those without one are asked to set it up.",
    )
    session_idle_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(15), MaxValueValidator(30)],
        help_text="Minutes of inactivity after which a member is signed out "
        "(15 to 30; for someone in several programs the shortest applies).",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # OWASP ASVS V3.3.2: an idle timeout of at most 30 minutes.
            models.CheckConstraint(
                condition=models.Q(session_idle_minutes__gte=15)
                & models.Q(session_idle_minutes__lte=30),
                name="program_session_idle_15_to_30",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    NAVIGATOR = "navigator", "Navigator"
    CASEWORKER = "caseworker", "Caseworker"
    PROGRAM_MANAGER = "program_manager", "Program manager"
    PARTNER = "partner", "Partner agency"
    ADMIN = "admin", "Administrator"


# Roles that work with people's records. Admins configure the system but have
# no standing access to health data; partners see only what is referred to
# them (roadmap item 4), so none of the staff lists.
STAFF_ROLES = (Role.NAVIGATOR, Role.CASEWORKER, Role.PROGRAM_MANAGER)


class User(AbstractUser):
    """A person who signs in. Roles come from memberships, per program."""

    # navigator.selectors caches the active memberships on the user object
    # (asked many times per request). An annotation only: not a field.
    _navigator_memberships: list[Membership]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.program}"


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted (soft)"
    RESTORE = "restore", "Restored"
    VIEW = "view", "Viewed"
    # Shown among others (a list, a search, a picker, an export): part of
    # the record went out, but nobody opened it. Kept apart from VIEW so a
    # person's trail can fold these away.
    LIST = "list", "Listed"


class AuditEvent(models.Model):
    """Append-only record of who did what to which record, and when.

    Rows are never updated or deleted: the model refuses in Python and, on
    PostgreSQL, a trigger refuses in the database (migration 0002).
    HIPAA §164.312(b) audit controls.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    # The person whose record this touches, so a person's trail is one index.
    person_id = models.BigIntegerField(null=True, blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(
        max_length=20, blank=True, help_text="web, api, task, command"
    )
    # Through which door: the URL name of the page or API route (or the
    # command / task), so "who saw this" can say where.
    endpoint = models.CharField(max_length=100, blank=True)
    # For VIEW and LIST: which parts of the record went out, as
    # ``{kind: [object ids]}`` (kinds in navigator.disclosure.KINDS).
    disclosed = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["person_id", "-at"], name="audit_person_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")

    @property
    def object_label(self) -> str:
        return f"{self.object_type}#{self.object_id}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class WorkerHeartbeat(models.Model):
    """Last time a background worker ran the heartbeat task (shown by /healthz)."""

    name = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


# --- Broker outages (docs/decisions/0006) ------------------------------------


class QueuedTask(models.Model):
    """A task to publish, written in the transaction of the write that needs it.

    The transactional outbox of ``navigator.outbox``: a row leaves the table
    once the broker has taken its task. Rows still here after a broker outage
    are published by the ``outbox-sweep`` beat entry.
    """

    id = models.BigAutoField(primary_key=True)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Failed publishes, and why the last one failed.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class IdempotencyKey(models.Model):
    """An API write's ``Idempotency-Key`` and the answer it got, for 24 hours.

    ``navigator.api.idempotency``: a retry with the same key and request gets
    ``status_code`` and ``response_body`` back instead of writing again. Only a
    hash of the request is kept. The response may hold health data, so it
    stays in the record's own database and is deleted after 24 hours.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    # sha256 of the method, the path with its query and the JSON body.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    # None while the first request runs (or after it died).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(blank=True, default=b"")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="idempotency_key_unique_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class StoredFile(models.Model):
    """An uploaded document (a scanned consent form, a referral's
    attachment): kept outside the web root and served only through a view
    that asks the owning record's access function and audits the read
    (navigator.uploads). Never deleted by a user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Relative to settings.PRIVATE_FILES_ROOT; never under STATIC/MEDIA.
    path = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name
