"""Private uploads (navigator/uploads.py): checked by size and by content,
kept under a random name outside the web root, served as a download that
the browser may not sniff, run or cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from navigator.errors import DomainError, NotFound
from navigator.models import StoredFile
from navigator.uploads import sniff, store_upload, stored_file_response
from tests.factories import UserFactory

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def upload(
    content: bytes, name: str = "form.pdf", content_type: str = ""
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type or "x/y")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (b"<html><script>alert(1)</script>", None),
        (b"GIF89a" + b"\x00" * 10, None),
        (b"PK\x03\x04" + b"\x00" * 10, None),
        (b" %PDF-1.7", None),
    ],
)
def test_the_type_is_told_by_the_content(content, expected):
    assert sniff(content[:16]) == expected


@pytest.mark.django_db
def test_a_pdf_is_kept_under_a_random_name_in_the_private_root():
    by = UserFactory()
    stored = store_upload(
        by=by, upload=upload(PDF, "../../Consent form.pdf"), purpose="consent_form"
    )
    stored.refresh_from_db()
    root = Path(settings.PRIVATE_FILES_ROOT)
    on_disk = root / stored.path
    assert on_disk.read_bytes() == PDF
    assert on_disk.stat().st_mode & 0o077 == 0
    assert "Consent" not in stored.path and ".." not in stored.path
    assert stored.path.startswith("consent_form/")
    assert stored.original_name == "Consent form.pdf"
    assert stored.content_type == "application/pdf"
    assert stored.size == len(PDF)
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.uploaded_by == by


def test_the_private_root_is_outside_the_static_files_by_default():
    from navigator import settings as project_settings

    private = Path(project_settings.PRIVATE_FILES_ROOT).resolve()
    static = Path(project_settings.STATIC_ROOT).resolve()
    assert not private.is_relative_to(static)
    assert not private.is_relative_to(project_settings.BASE_DIR / "navigator")
    assert getattr(project_settings, "MEDIA_ROOT", "") in ("", None)
    assert private.is_relative_to(project_settings.VAR_DIR)


@pytest.mark.django_db
def test_a_file_named_pdf_that_is_not_one_names_the_field():
    with pytest.raises(DomainError) as caught:
        store_upload(
            by=UserFactory(),
            upload=upload(b"<html>hi</html>", "form.pdf", "application/pdf"),
            purpose="consent_form",
            field="form",
        )
    assert caught.value.fields.keys() == {"form"}
    assert caught.value.code == "file_type"
    assert not StoredFile.objects.exists()
    assert not any(Path(settings.PRIVATE_FILES_ROOT).rglob("*.*"))


@pytest.mark.django_db
def test_a_file_over_the_limit_names_the_field(settings):
    settings.NAVIGATOR_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(DomainError) as caught:
        store_upload(
            by=UserFactory(),
            upload=upload(PDF + b"x" * 1000),
            purpose="consent_form",
            field="form",
        )
    assert caught.value.fields.keys() == {"form"}
    assert caught.value.code == "file_too_large"
    assert not StoredFile.objects.exists()


@pytest.mark.django_db
def test_an_empty_file_names_the_field():
    with pytest.raises(DomainError) as caught:
        store_upload(by=UserFactory(), upload=upload(b""), purpose="consent_form")
    assert caught.value.fields.keys() == {"file"}


@pytest.mark.django_db
def test_the_download_name_carries_the_real_type():
    stored = store_upload(
        by=UserFactory(), upload=upload(PNG, "scan.pdf"), purpose="consent_form"
    )
    assert stored.original_name == "scan.pdf.png"
    assert stored.content_type == "image/png"


@pytest.mark.django_db
def test_a_stored_file_is_served_as_a_download_nobody_sniffs_or_caches():
    stored = store_upload(
        by=UserFactory(), upload=upload(PDF, "form.pdf"), purpose="consent_form"
    )
    response = stored_file_response(stored)
    assert b"".join(response.streaming_content) == PDF  # type: ignore[arg-type]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="form.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_file_missing_from_storage_is_a_404_not_a_500():
    stored = store_upload(
        by=UserFactory(), upload=upload(PDF, "form.pdf"), purpose="consent_form"
    )
    (Path(settings.PRIVATE_FILES_ROOT) / stored.path).unlink()
    with pytest.raises(NotFound):
        stored_file_response(stored)


@pytest.mark.django_db
def test_a_path_outside_the_private_root_is_never_served():
    stored = store_upload(
        by=UserFactory(), upload=upload(PDF, "form.pdf"), purpose="consent_form"
    )
    stored.path = "../../etc/passwd"
    with pytest.raises(NotFound):
        stored_file_response(stored)
