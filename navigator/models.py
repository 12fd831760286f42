"""The platform: programs, users and their roles, and the audit log."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
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

    class Meta:
        ordering = ["name"]

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
