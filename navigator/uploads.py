"""Private uploads: scanned consent forms, referral attachments.

A document a user uploads is a part of a person's record. It is
- checked: at most ``NAVIGATOR_UPLOAD_MAX_BYTES``, and a PDF or an image by
  its **content** (its first bytes), whatever its name or the content type
  the browser claims (OWASP ASVS 4 V12.2.1, V12.1.1);
- stored under ``settings.PRIVATE_FILES_ROOT``, outside the static files
  and any URL the web server maps, under a random name (V12.3.1, V12.5.1);
- served only by ``stored_file_response``, which a view calls after asking
  the owning record's access function and noting the disclosure, as a
  download (``attachment``) the browser may not sniff, run or cache (V12.5.2).

It imports no app: the owning record's service calls ``store_upload`` and
keeps the ``StoredFile`` it returns.

A file written for a transaction that then rolls back stays on disk with
no row pointing to it: harmless (nothing can serve it), and cheaper than
tying file-system writes to the transaction.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse

from navigator.errors import DomainError, NotFound
from navigator.models import StoredFile, User

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# What may be uploaded: the content type, and the extension a download gets.
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
EXTENSIONS = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    WEBP: (".webp",),
}
ALLOWED_DESCRIPTION = "a PDF or an image (PNG, JPEG, WebP)"

# Bytes read to tell the type.
_HEAD = 16
_CHUNK = 64 * 1024
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def max_upload_bytes() -> int:
    return int(getattr(settings, "NAVIGATOR_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> str | None:
    """The type the first bytes say, or None when it is none we take.

    Signatures: PDF, ISO 32000-1 §7.5.2 (a file begins "%PDF-"); PNG, RFC
    2083 §3.1; JPEG, ITU T.81 (SOI marker FF D8, then a marker FF); WebP, a
    RIFF container of form type "WEBP" (RFC 9649 §2)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def _clean_name(name: str, content_type: str) -> str:
    """The name the user gave, for display and the download: a base name, no
    control characters, 200 characters at most, with the extension of what
    the file really is."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    stem, ext = os.path.splitext(name)
    if ext.lower() not in EXTENSIONS[content_type]:
        stem, ext = name, EXTENSIONS[content_type][0]
    stem = (stem or "document")[: 200 - len(ext)]
    return stem + ext


def private_root() -> Path:
    return Path(settings.PRIVATE_FILES_ROOT)


def store_upload(
    *, by: User, upload: UploadedFile, purpose: str, field: str = "file"
) -> StoredFile:
    """Check and keep an uploaded file; the caller saves what points to it
    in its own (audited) write. Bad input names ``field``."""
    if not _PURPOSE.match(purpose):
        raise ValueError(f"Bad upload purpose {purpose!r}.")
    limit = max_upload_bytes()
    size = upload.size or 0
    if size > limit or getattr(upload, "too_big", False):
        raise DomainError.for_field(
            field,
            f"The file is too big: at most {limit // (1024 * 1024)} MB.",
            code="file_too_large",
        )
    if size == 0:
        raise DomainError.for_field(field, "The file is empty.", code="file_empty")
    upload.seek(0)
    head = upload.read(_HEAD)
    content_type = sniff(head)
    if content_type is None:
        raise DomainError.for_field(
            field,
            f"The file is not {ALLOWED_DESCRIPTION}.",
            code="file_type",
        )
    relative = f"{purpose}/{uuid.uuid4().hex}"
    target = private_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    written = 0
    upload.seek(0)
    temp = target.with_name(target.name + ".part")
    # Readable by the app's user alone; renamed into place once complete, so
    # a crash never leaves a half file under the final name.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks(_CHUNK):
                written += len(chunk)
                if written > limit:
                    break
                digest.update(chunk)
                out.write(chunk)
        if written > limit:
            raise DomainError.for_field(
                field,
                f"The file is too big: at most {limit // (1024 * 1024)} MB.",
                code="file_too_large",
            )
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    stored = StoredFile(
        path=relative,
        original_name=_clean_name(upload.name or "", content_type),
        content_type=content_type,
        size=written,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    stored.save()
    return stored


def _path_of(stored: StoredFile) -> Path:
    root = private_root().resolve()
    path = (root / stored.path).resolve()
    if not path.is_relative_to(root):
        raise NotFound("No such file.")
    return path


# A document opened straight from its URL (not downloaded) runs nothing:
# sandboxed, no scripts, no plugins, nothing loaded from anywhere.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def stored_file_response(stored: StoredFile) -> FileResponse:
    """The file as a download. Call only from a view that has asked the
    owning record's access function and noted the disclosure."""
    try:
        handle = _path_of(stored).open("rb")
    except FileNotFoundError:
        raise NotFound("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "no-store, private"
    return response


class OversizedUpload(UploadedFile):
    """What ``UploadSizeLimitHandler`` hands on for a file past the limit:
    its name and how much of it arrived, without the bytes."""

    too_big = True

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(io.BytesIO(), name, content_type, size)


class UploadSizeLimitHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: a file past the limit stops being
    kept (in memory or a temporary file) as soon as it passes it, and the
    form or API then answers with the field's "too big" error. Django's own
    limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``) counts the fields of a
    multipart body, not its files."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > max_upload_bytes():
            self.over = True
            # The handlers after this one get nothing more of this file.
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.over:
            return OversizedUpload(
                self.file_name or "", self.content_type or "", self.received
            )
        return None
