"""Writes of the directory: who may, what is audited, nothing deleted."""

from __future__ import annotations

import pytest

from navigator.errors import DomainError, NotFound, PermissionDenied
from navigator.models import AuditEvent, Role
from referrals.directory import services
from referrals.directory.services import AgencyData, ServiceData
from referrals.models import Agency
from tests.factories import member
from tests.referrals.factories import ServiceFactory, partner_of

pytestmark = pytest.mark.django_db

DATA = AgencyData(name="Harbor Clinic", kind="clinic", phone="555-0100")


@pytest.fixture
def admin_user(program_a):
    return member(program_a, Role.ADMIN)


def test_a_manager_adds_an_agency_to_their_program_audited(manager_a, program_a):
    agency = services.agency_create(by=manager_a, data=DATA, programs=[program_a])
    assert agency.slug == "harbor-clinic"
    assert list(agency.programs.all()) == [program_a]
    event = AuditEvent.objects.get(object_type="referrals.agency", action="create")
    assert event.actor == manager_a and event.program_id == program_a.pk
    assert event.person_id is None and event.changes["name"] == "Harbor Clinic"


def test_a_manager_cannot_attach_another_program(manager_a, program_a, program_b):
    with pytest.raises(DomainError) as exc:
        services.agency_create(by=manager_a, data=DATA, programs=[program_b])
    assert "programs" in exc.value.fields
    assert not Agency.objects.exists()


def test_an_admin_attaches_any_program(admin_user, program_b):
    agency = services.agency_create(by=admin_user, data=DATA, programs=[program_b])
    assert list(agency.programs.all()) == [program_b]


def test_a_navigator_may_not_keep_the_directory(navigator_a, program_a):
    with pytest.raises(PermissionDenied):
        services.agency_create(by=navigator_a, data=DATA, programs=[program_a])
    agency = partner_of(program_a)
    with pytest.raises(PermissionDenied):
        services.agency_update(by=navigator_a, agency=agency, data=DATA)


def test_a_manager_of_another_program_does_not_find_the_agency(program_a, program_b):
    agency = partner_of(program_a)
    manager_b = member(program_b, Role.PROGRAM_MANAGER)
    with pytest.raises(NotFound):
        services.agency_update(by=manager_b, agency=agency, data=DATA)
    with pytest.raises(NotFound):
        services.service_create(by=manager_b, agency=agency, data=ServiceData(name="X"))


def test_a_taken_slug_is_a_400_naming_slug(manager_a, program_a):
    partner_of(program_a, slug="harbor")
    with pytest.raises(DomainError) as exc:
        services.agency_create(
            by=manager_a,
            data=AgencyData(name="Other", kind="clinic", slug="harbor"),
            programs=[program_a],
        )
    assert exc.value.status == 400 and "slug" in exc.value.fields


def test_update_audits_only_real_changes(manager_a, program_a):
    agency = partner_of(program_a, name="Old", kind="clinic")
    before = AuditEvent.objects.count()
    services.agency_update(
        by=manager_a,
        agency=agency,
        data=AgencyData(
            name="New",
            kind="clinic",
            slug=agency.slug,
            phone=agency.phone,
            city=agency.city,
        ),
    )
    event = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before + 1
    assert event.changes == {"name": ["Old", "New"]}


def test_a_manager_keeps_other_programs_they_do_not_manage(
    manager_a, program_a, program_b
):
    agency = partner_of(program_a)
    agency.programs.add(program_b)
    with pytest.raises(DomainError):
        services.agency_update(
            by=manager_a, agency=agency, data=DATA, programs=[program_a]
        )
    assert set(agency.programs.all()) == {program_a, program_b}


def test_deactivate_and_reactivate_never_delete(manager_a, program_a):
    agency = partner_of(program_a)
    service = ServiceFactory(agency=agency)
    services.service_set_active(
        by=manager_a, service=service, active=False, reason="closed"
    )
    services.agency_set_active(by=manager_a, agency=agency, active=False)
    agency.refresh_from_db()
    service.refresh_from_db()
    assert not agency.is_active and not service.is_active
    services.agency_set_active(by=manager_a, agency=agency, active=True)
    agency.refresh_from_db()
    assert agency.is_active
    reasons = AuditEvent.objects.filter(object_type="referrals.service").values_list(
        "reason", flat=True
    )
    assert list(reasons) == ["closed"]


def test_service_create_and_update_validate(manager_a, program_a):
    agency = partner_of(program_a)
    service = services.service_create(
        by=manager_a,
        agency=agency,
        data=ServiceData(
            name="Beds", categories=("shelter", "housing"), languages=("English",)
        ),
    )
    assert service.categories == ["housing", "shelter"]
    with pytest.raises(DomainError) as exc:
        services.service_update(
            by=manager_a,
            service=service,
            data=ServiceData(name="Beds", categories=("nope",)),
        )
    assert "categories" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.service_update(
            by=manager_a,
            service=service,
            data=ServiceData(name="Beds", accepting="maybe"),
        )
    assert "accepting" in exc.value.fields
