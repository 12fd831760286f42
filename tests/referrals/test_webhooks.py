"""Outbound webhooks (issue 10): events written with the change, signed per
Standard Webhooks 1.0, delivered with retries to a real local receiver."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from cases.consents.services import consent_revoke
from cases.models import InfoClass
from navigator.errors import DomainError, PermissionDenied
from navigator.models import AuditEvent, Role
from referrals.models import (
    Referral,
    WebhookAttempt,
    WebhookEvent,
    WebhookStatus,
)
from referrals.services import (
    ReferralData,
    referral_act,
    referral_create,
    referral_note_add,
)
from referrals.webhooks import delivery, signing
from referrals.webhooks.services import (
    clean_webhook_url,
    webhook_endpoint_save,
    webhook_event_retry,
    webhook_secret_rotate,
)
from tests.factories import PersonFactory, member
from tests.referrals.factories import ConsentFactory, ServiceFactory, partner_of
from tests.referrals.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = [
    ("Zoë", "O'Brien-Ñúñez"),
    ("<script>alert(1)</script>", "Robert'); DROP TABLE people;--"),
    ("Schizophrenia", "Overdose"),
    ("  ", "\u202eevil"),
]


def _sent_referral(by, program, agency, *, first="Ada", last="Lovelace"):
    person = PersonFactory(program=program, first_name=first, last_name=last)
    ConsentFactory(person=person, agency=agency)
    service = ServiceFactory(agency=agency)
    data = ReferralData(
        person=person,
        service=service,
        reason="Detox bed tonight; schizophrenia, on clozapine",
        info_classes=[InfoClass.GENERAL, InfoClass.MENTAL_HEALTH],
    )
    return referral_create(by=by, data=data, send=True)


def _due_now() -> None:
    WebhookEvent.objects.filter(status=WebhookStatus.PENDING).update(
        next_attempt_at=timezone.now()
    )


def test_an_agency_without_an_endpoint_gets_no_events(navigator_a, program_a):
    _sent_referral(navigator_a, program_a, partner_of(program_a))
    assert not WebhookEvent.objects.exists()


def test_sent_moves_and_notes_write_events(navigator_a, manager_a, program_a):
    agency = partner_of(program_a)
    webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://hooks.example.org/n"
    )
    referral = _sent_referral(navigator_a, program_a, agency)
    referral_act(by=navigator_a, referral=referral, action="accept")
    note = referral_note_add(by=navigator_a, referral=referral, text="Called them")
    events = list(WebhookEvent.objects.order_by("created_at"))
    assert [(e.type, e.payload["data"]["event"]) for e in events] == [
        ("referral.sent", "request"),
        ("referral.updated", "accept"),
        ("referral.updated", "note_added"),
    ]
    assert events[2].payload["data"]["note_id"] == note.pk
    assert {e.agency_id for e in events} == {agency.pk}
    assert all(e.payload["id"] == e.id for e in events)


def test_a_rolled_back_change_writes_no_event(navigator_a, manager_a, program_a):
    agency = partner_of(program_a)
    webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://hooks.example.org/n"
    )
    referral = _sent_referral(navigator_a, program_a, agency)
    before = WebhookEvent.objects.count()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        referral_act(by=navigator_a, referral=referral, action="accept")
        assert WebhookEvent.objects.count() == before + 1  # written with it…
        raise Boom
    assert WebhookEvent.objects.count() == before  # …and gone with it
    # A refused move (the service raises) leaves none either.
    with pytest.raises(DomainError):
        referral_act(by=navigator_a, referral=referral, action="complete")
    assert WebhookEvent.objects.count() == before


def test_consent_revoked_tells_each_agency_relying_on_it(
    navigator_a, manager_a, program_a
):
    agency = partner_of(program_a)
    webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://hooks.example.org/n"
    )
    referral = _sent_referral(navigator_a, program_a, agency)
    consent = Referral.objects.get(pk=referral.pk).consent
    assert consent is not None
    consent_revoke(by=navigator_a, consent=consent, method="verbal", reason="Asked")
    event = WebhookEvent.objects.get(type="consent.withdrawn")
    assert event.agency_id == agency.pk
    assert event.payload["data"] == {
        "consent_id": consent.pk,
        "agency_id": agency.pk,
        "event": "revoked",
        "referral_ids": [referral.pk],
    }


def test_a_rolled_back_revocation_writes_no_event(navigator_a, manager_a, program_a):
    agency = partner_of(program_a)
    webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://hooks.example.org/n"
    )
    referral = _sent_referral(navigator_a, program_a, agency)
    consent = Referral.objects.get(pk=referral.pk).consent
    assert consent is not None
    with pytest.raises(RuntimeError), transaction.atomic():
        consent_revoke(by=navigator_a, consent=consent, method="verbal")
        raise RuntimeError
    assert not WebhookEvent.objects.filter(type="consent.withdrawn").exists()


def test_no_payload_names_the_person_or_carries_health_data(
    navigator_a, manager_a, program_a
):
    agency = partner_of(program_a)
    webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://hooks.example.org/n"
    )
    people_words: list[str] = []
    for first, last in HOSTILE_NAMES:
        referral = _sent_referral(
            navigator_a, program_a, agency, first=first, last=last
        )
        referral_note_add(
            by=navigator_a, referral=referral, text=f"{first} relapsed, opioids"
        )
        referral_act(
            by=navigator_a,
            referral=referral,
            action="reject",
            reason_code="other",
            note="Psychosis; too acute",
        )
        consent_revoke(by=navigator_a, consent=referral.consent, method="verbal")
        people_words += [first.strip(), last.strip()]
    events = list(WebhookEvent.objects.all())
    assert {e.type for e in events} == {
        "referral.sent",
        "referral.updated",
        "consent.withdrawn",
    }
    allowed_keys = {"referral_id", "agency_id", "consent_id", "note_id", "event"}
    allowed_keys |= {"status", "referral_ids"}
    for event in events:
        body = delivery.body_of(event).lower()
        for word in [w for w in people_words if w] + [
            "schizophrenia",
            "clozapine",
            "detox",
            "relapsed",
            "opioids",
            "psychosis",
            "mental_health",
            "called",
        ]:
            assert word.lower() not in body, (word, body)
        assert set(event.payload) == {"id", "type", "timestamp", "data"}
        assert set(event.payload["data"]) <= allowed_keys
        # Values are ids, id lists or short machine names.
        for key, value in event.payload["data"].items():
            if key in ("event", "status"):
                assert value.replace("-", "").replace("_", "").isalpha()
            elif key == "referral_ids":
                assert all(isinstance(v, int) for v in value)
            else:
                assert isinstance(value, int)


def test_a_receiver_that_fails_twice_gets_the_event_once(
    navigator_a, manager_a, program_a, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.01
    agency = partner_of(program_a)
    with Receiver(fail_first=2) as receiver:
        endpoint, secret = webhook_endpoint_save(
            by=manager_a, agency=agency, url=receiver.url
        )
        assert secret and secret.startswith("whsec_")
        receiver.secret = secret
        referral = _sent_referral(navigator_a, program_a, agency)
        event = WebhookEvent.objects.get()
        for _ in range(3):
            _due_now()
            delivery.deliver_due()
        _due_now()
        assert delivery.deliver_due() == {"delivered": 0, "retrying": 0, "failed": 0}
    event.refresh_from_db()
    assert event.status == WebhookStatus.DELIVERED and event.attempts == 3
    assert receiver.posts[event.id] == 3  # the same webhook-id each time
    assert receiver.accepted == {event.id: 1}
    assert receiver.bad_signatures == 0
    assert receiver.bodies[event.id]["data"]["referral_id"] == referral.pk
    attempts = list(WebhookAttempt.objects.filter(event=event))
    assert [a.http_status for a in attempts] == [500, 500, 200]
    assert attempts[0].error == "HTTP 500"


def test_retries_back_off_then_fail_and_a_manager_retries(
    navigator_a, manager_a, program_a, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    agency = partner_of(program_a)
    with Receiver(fail_first=10**6) as receiver:
        webhook_endpoint_save(by=manager_a, agency=agency, url=receiver.url)
        _sent_referral(navigator_a, program_a, agency)
        event = WebhookEvent.objects.get()
        delivery.deliver_due()
        event.refresh_from_db()
        wait = event.next_attempt_at - timezone.now()
        # 30 s base, jittered to between half and all of it.
        assert datetime.timedelta(seconds=14) < wait <= datetime.timedelta(seconds=30)
        assert delivery.deliver_due()["retrying"] == 0  # not due yet
        for _ in range(2):
            _due_now()
            delivery.deliver_due()
        event.refresh_from_db()
        assert (event.status, event.attempts) == (WebhookStatus.FAILED, 3)
        assert event.last_error == "HTTP 500"
        other = member(program_a, Role.NAVIGATOR)
        with pytest.raises(PermissionDenied):
            webhook_event_retry(by=other, event=event)
        receiver.fail_first = 0
        webhook_event_retry(by=manager_a, event=event)
        assert delivery.deliver_due()["delivered"] == 1
    event.refresh_from_db()
    assert event.status == WebhookStatus.DELIVERED
    assert WebhookAttempt.objects.filter(event=event).count() == 4
    assert AuditEvent.objects.filter(
        object_type="referrals.webhookevent", object_id=event.id
    ).exists()


def test_signature_verifies_with_the_standard_package(manager_a, program_a):
    agency = partner_of(program_a)
    endpoint, secret = webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://hooks.example.org/n"
    )
    assert secret is not None
    now = timezone.now()
    body = '{"type":"referral.sent"}'
    headers = signing.headers(
        msg_id="msg_1", timestamp=now, body=body, secrets_=[secret]
    )
    assert Webhook(secret).verify(body, headers) == {"type": "referral.sent"}
    # The spec's scheme by hand: base64 HMAC-SHA256 of "id.timestamp.body".
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"msg_1.{int(now.timestamp())}.{body}".encode()
    mac = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{mac}"


def test_the_spec_example_signature():
    # Standard Webhooks 1.0 spec, "Signature scheme" example.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    stamp = datetime.datetime.fromtimestamp(1614265330, tz=datetime.UTC)
    headers = signing.headers(
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=stamp,
        body=body,
        secrets_=[secret],
    )
    assert headers["webhook-signature"] == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_rotation_signs_with_both_secrets_until_the_old_one_expires(
    manager_a, program_a, settings
):
    agency = partner_of(program_a)
    endpoint, old = webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://hooks.example.org/n"
    )
    assert old is not None
    new = webhook_secret_rotate(by=manager_a, agency=agency)
    assert new != old and new.startswith("whsec_")
    endpoint.refresh_from_db()
    now = timezone.now()
    secrets_ = delivery.signing_secrets(endpoint, now)
    assert secrets_ == [new, old]
    headers = signing.headers(
        msg_id="msg_2", timestamp=now, body="{}", secrets_=secrets_
    )
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver on either secret verifies it
        Webhook(secret).verify("{}", headers)
    later = now + datetime.timedelta(hours=settings.WEBHOOK_ROTATION_HOURS + 1)
    assert delivery.signing_secrets(endpoint, later) == [new]
    audit = AuditEvent.objects.filter(object_type="referrals.webhookendpoint")
    assert old not in json.dumps(list(audit.values_list("changes", flat=True)))


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/n",
        "ftp://hooks.example.org/n",
        "file:///etc/passwd",
        "https://user:pw@hooks.example.org/n",
        "hooks.example.org/n",
        "",
        "http://localhost.example.org/n",
    ],
)
def test_an_endpoint_must_be_https(url):
    with pytest.raises(DomainError) as refused:
        clean_webhook_url(url)
    assert "url" in refused.value.fields


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.org/n", "http://localhost:8080/h", "http://127.0.0.1:9/h"],
)
def test_https_or_a_local_http_endpoint_is_taken(url):
    assert clean_webhook_url(url) == url


def test_only_admins_and_the_agencys_managers_keep_its_endpoint(
    navigator_a, manager_a, program_a, program_b
):
    agency = partner_of(program_a)
    with pytest.raises(PermissionDenied):
        webhook_endpoint_save(by=navigator_a, agency=agency, url="https://a.example/")
    other_manager = member(program_b, Role.PROGRAM_MANAGER)
    from navigator.errors import NotFound

    with pytest.raises(NotFound):
        webhook_endpoint_save(by=other_manager, agency=agency, url="https://a.example/")
    endpoint, _ = webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://a.example/"
    )
    assert AuditEvent.objects.filter(
        object_type="referrals.webhookendpoint", object_id=str(endpoint.pk)
    ).exists()


def test_an_endpoint_turned_off_fails_its_waiting_events(
    navigator_a, manager_a, program_a
):
    agency = partner_of(program_a)
    webhook_endpoint_save(by=manager_a, agency=agency, url="https://h.example/")
    _sent_referral(navigator_a, program_a, agency)
    webhook_endpoint_save(
        by=manager_a, agency=agency, url="https://h.example/", is_active=False
    )
    assert delivery.deliver_due()["failed"] == 1
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.FAILED
    assert "no active webhook endpoint" in event.last_error
    # Nothing new is written while it is off.
    referral_act(by=navigator_a, referral=Referral.objects.get(), action="accept")
    assert WebhookEvent.objects.count() == 1


def test_a_task_stops_at_its_time_budget(navigator_a, manager_a, program_a, settings):
    settings.WEBHOOK_TASK_SECONDS = -1
    agency = partner_of(program_a)
    webhook_endpoint_save(by=manager_a, agency=agency, url="https://h.example/")
    _sent_referral(navigator_a, program_a, agency)
    assert delivery.deliver_due() == {"delivered": 0, "retrying": 0, "failed": 0}
    assert WebhookEvent.objects.get().attempts == 0
