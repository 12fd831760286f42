"""A referral's attachments: a PDF or an image sent with it (a discharge
summary, a scanned intake form), checked and kept as every upload is
(``navigator.uploads``)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from navigator.models import AuditAction, User
from navigator.uploads import store_upload
from referrals.models import Referral, ReferralAttachment
from referrals.services._common import audit, lock

# Where a referral's attachments are kept, under the private root.
ATTACHMENT_PURPOSE = "referral_attachment"


@transaction.atomic
def referral_attachment_add(
    *, by: User, referral: Referral, upload: UploadedFile
) -> ReferralAttachment:
    """Attach a document. Too big, or not a PDF / image: a 400 naming the
    field ``file``. Nothing is removed later: a wrong one stays, as notes do."""
    referral = lock(referral, by=by, action="attach")
    stored = store_upload(
        by=by, upload=upload, purpose=ATTACHMENT_PURPOSE, field="file"
    )
    attachment = ReferralAttachment.objects.create(
        referral=referral, file=stored, added_by=by
    )
    audit(
        by,
        AuditAction.UPDATE,
        referral,
        {"attachment": [None, {"id": attachment.pk, "file": str(stored.pk)}]},
    )
    return attachment
