from django.conf import settings
from django.db import models

from navigator.fields import REASON_MAX_LENGTH, BoundedTextField


class SoftDeletable(models.Model):
    """Users never hard-delete: a row is hidden with who, when and why."""

    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deleted_reason = BoundedTextField(max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
