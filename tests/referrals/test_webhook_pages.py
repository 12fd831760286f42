"""The managers' webhook pages: failed and waiting deliveries per agency,
the endpoint with its secret shown once, retry now (issue 10)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from navigator.models import AuditEvent, Role
from referrals.models import WebhookEndpoint, WebhookEvent, WebhookStatus
from referrals.webhooks.services import webhook_endpoint_save
from tests.factories import member
from tests.referrals.factories import partner_of

pytestmark = pytest.mark.django_db


def _events(agency, count: int, status: str = WebhookStatus.FAILED) -> None:
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            agency=agency,
            type="referral.sent",
            payload={"data": {"referral_id": i}},
            status=status,
            attempts=10,
            last_error="HTTP 503",
            next_attempt_at=timezone.now(),
        )
        for i in range(count)
    )


def test_the_list_shows_each_agencys_failures(client, manager_a, program_a, program_b):
    mine = partner_of(program_a, name="Harbor Detox")
    webhook_endpoint_save(by=manager_a, agency=mine, url="https://hooks.example.org/h")
    _events(mine, 3)
    _events(mine, 2, WebhookStatus.PENDING)
    _events(mine, 4, WebhookStatus.DELIVERED)
    partner_of(program_b, name="Elsewhere Shelter")
    client.force_login(manager_a)
    answer = client.get(reverse("webhook-list"))
    assert answer.status_code == 200
    rows = {
        a.name: (a.webhooks_failed, a.webhooks_pending)
        for a in answer.context["agencies"]
    }
    assert rows == {"Harbor Detox": (3, 2)}
    assert b"https://hooks.example.org/h" in answer.content


def test_staff_who_do_not_manage_get_403(client, navigator_a, program_a):
    agency = partner_of(program_a)
    client.force_login(navigator_a)
    assert client.get(reverse("webhook-list")).status_code == 403
    assert client.get(reverse("webhook-agency", args=[agency.pk])).status_code == 403


def test_another_programs_agency_is_404(client, manager_a, program_b):
    agency = partner_of(program_b)
    client.force_login(manager_a)
    assert client.get(reverse("webhook-agency", args=[agency.pk])).status_code == 404


def test_the_list_query_count_is_pinned(
    client, manager_a, program_a, django_assert_max_num_queries
):
    for i in range(15):
        agency = partner_of(program_a)
        webhook_endpoint_save(by=manager_a, agency=agency, url=f"https://h{i}.example/")
        _events(agency, 2)
    client.force_login(manager_a)
    with django_assert_max_num_queries(12):
        answer = client.get(reverse("webhook-list"))
    assert len(answer.context["agencies"]) == 15


def test_the_agency_page_query_count_is_pinned(
    client, manager_a, program_a, django_assert_max_num_queries
):
    agency = partner_of(program_a)
    webhook_endpoint_save(by=manager_a, agency=agency, url="https://h.example/")
    _events(agency, 40)
    client.force_login(manager_a)
    with django_assert_max_num_queries(14):
        answer = client.get(reverse("webhook-agency", args=[agency.pk]))
    assert len(answer.context["events"]) == 40
    assert answer.content.count(b"Retry now") == 40


def test_a_new_endpoints_secret_is_shown_once(client, manager_a, program_a):
    agency = partner_of(program_a)
    client.force_login(manager_a)
    url = reverse("webhook-agency", args=[agency.pk])
    answer = client.post(url, {"url": "https://hooks.example.org/n", "is_active": "on"})
    assert answer.status_code == 200
    endpoint = WebhookEndpoint.objects.get(agency=agency)
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret.encode() in answer.content
    assert endpoint.secret.encode() not in client.get(url).content
    # Rotating shows the new one, once.
    rotated = client.post(reverse("webhook-rotate", args=[agency.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret.encode() in rotated.content
    assert endpoint.previous_secret.encode() not in rotated.content
    assert (
        AuditEvent.objects.filter(
            object_type="referrals.webhookendpoint", object_id=str(endpoint.pk)
        ).count()
        == 2
    )


@pytest.mark.parametrize(
    "url", ["http://hooks.example.org/n", "javascript:alert(1)", "ftp://x.example/"]
)
def test_a_plain_http_address_is_refused_naming_the_field(
    client, manager_a, program_a, url
):
    agency = partner_of(program_a)
    client.force_login(manager_a)
    answer = client.post(reverse("webhook-agency", args=[agency.pk]), {"url": url})
    assert answer.status_code == 400
    assert answer.context["form"].errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_rotating_without_an_endpoint_is_a_409(client, manager_a, program_a):
    agency = partner_of(program_a)
    client.force_login(manager_a)
    assert client.post(reverse("webhook-rotate", args=[agency.pk])).status_code == 409


def test_retry_now_sends_a_failed_event_again(client, manager_a, program_a):
    agency = partner_of(program_a)
    webhook_endpoint_save(by=manager_a, agency=agency, url="https://h.example/")
    _events(agency, 1)
    event = WebhookEvent.objects.get()
    client.force_login(manager_a)
    answer = client.post(reverse("webhook-retry", args=[event.pk]))
    assert answer.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookStatus.PENDING, 0)
    assert event.next_attempt_at <= timezone.now()
    event.status = WebhookStatus.DELIVERED
    event.save()
    assert client.post(reverse("webhook-retry", args=[event.pk])).status_code == 409
    other = member(program_a, Role.NAVIGATOR)
    client.force_login(other)
    assert client.post(reverse("webhook-retry", args=[event.pk])).status_code == 403
    assert client.post(reverse("webhook-retry", args=["msg_nope"])).status_code == 404


def test_an_administrator_sets_an_endpoint_on_the_admin_site(client, program_a):
    admin_user = member(program_a, Role.ADMIN)
    agency = partner_of(program_a)
    client.force_login(admin_user)
    add = reverse("admin:referrals_webhookendpoint_add")
    refused = client.post(add, {"agency": agency.pk, "url": "http://x.example/"})
    assert not WebhookEndpoint.objects.exists()
    assert refused.status_code in (200, 302)
    answer = client.post(
        add,
        {"agency": agency.pk, "url": "https://hooks.example.org/n", "is_active": "on"},
        follow=True,
    )
    assert answer.status_code == 200
    endpoint = WebhookEndpoint.objects.get(agency=agency)
    assert endpoint.secret.encode() in answer.content  # shown once, as a message
    assert AuditEvent.objects.filter(
        object_type="referrals.webhookendpoint", actor=admin_user
    ).exists()
    change = client.get(
        reverse("admin:referrals_webhookendpoint_change", args=[endpoint.pk])
    )
    assert endpoint.secret.encode() not in change.content
