"""The directory in Open Referral HSDS 3.0: export, import, round trips, and
the vendored schemas really validating (referrals/directory/hsds.py)."""

from __future__ import annotations

import copy
import decimal
import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from navigator.models import AuditEvent
from referrals.directory import hsds
from referrals.models import Accepting, Agency, AgencyKind, Service
from tests.factories import ProgramFactory
from tests.referrals.factories import AgencyFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _directory(program):
    clinic = AgencyFactory(
        programs=[program],
        name="Harbor Clinic",
        slug="harbor-clinic",
        kind=AgencyKind.CLINIC,
        is_part2_program=True,
        email="intake@harbor.example",
        website="https://harbor.example/",
        street_address="1 Harbor Way",
        city="Springfield",
        state="OR",
        postal_code="97477",
    )
    shelter = AgencyFactory(
        programs=[program], name="Night Shelter", kind=AgencyKind.SHELTER, phone=""
    )
    ServiceFactory(
        agency=clinic,
        name="Walk-in counseling",
        categories=["mental_health", "substance_use"],
        languages=["Spanish", "English"],
        eligibility="Adults 18+",
        hours="Mon–Fri 9–5",
        phone="555-0111",
        accepting=Accepting.WAITLIST,
        capacity_note="About two weeks",
        latitude=decimal.Decimal("44.046200"),
        longitude=decimal.Decimal("-123.022000"),
        street_address="1 Harbor Way",
        city="Springfield",
    )
    ServiceFactory(
        agency=clinic, name="Detox beds", categories=["detox"], is_active=False
    )
    ServiceFactory(agency=shelter, name="Beds", categories=["shelter"], city="")
    return clinic, shelter


def _export(program) -> str:
    out = StringIO()
    call_command("export_directory", "--program", program.slug, stdout=out)
    return out.getvalue()


def _import(tmp_path, program, document, name="dir.json"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    out, err = StringIO(), StringIO()
    call_command(
        "import_directory", str(path), "--program", program.slug, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def _wipe():
    Service.objects.all().delete()
    Agency.objects.all().delete()


def test_export_validates_against_the_hsds_schemas(program_a):
    _directory(program_a)
    document = json.loads(_export(program_a))
    assert [o["name"] for o in document["organizations"]] == [
        "Harbor Clinic",
        "Night Shelter",
    ]
    for org in document["organizations"]:
        assert hsds.schema_errors("organization", org) == []
    for service in document["services"]:
        assert hsds.schema_errors("service", service) == []
    walk_in = next(s for s in document["services"] if s["name"] == "Walk-in counseling")
    assert walk_in["schedules"][0]["description"] == "Mon–Fri 9–5"
    assert walk_in["eligibility_description"] == "Adults 18+"
    assert {a["taxonomy_term"]["code"] for a in walk_in["attributes"]} >= {
        "mental_health",
        "substance_use",
        "accepting",
    }
    detox = next(s for s in document["services"] if s["name"] == "Detox beds")
    assert detox["status"] == "inactive"


def test_round_trip_into_an_empty_program_is_byte_identical(program_a, tmp_path):
    _directory(program_a)
    first = _export(program_a)
    _wipe()
    other = ProgramFactory(slug="other")
    out, err = _import(tmp_path, other, first)
    assert err == ""
    assert "2 created" in out
    assert Agency.objects.count() == 2 and Service.objects.count() == 3
    assert _export(other) == first
    clinic = Agency.objects.get(slug="harbor-clinic")
    assert clinic.is_part2_program and clinic.kind == AgencyKind.CLINIC
    assert list(clinic.programs.all()) == [other]
    walk_in = Service.objects.get(name="Walk-in counseling")
    assert walk_in.accepting == Accepting.WAITLIST
    assert walk_in.categories == ["mental_health", "substance_use"]
    assert walk_in.languages == ["English", "Spanish"]
    assert walk_in.latitude == decimal.Decimal("44.046200")


def test_reimport_is_idempotent_and_updates_changed_fields(program_a, tmp_path):
    clinic, _ = _directory(program_a)
    document = json.loads(_export(program_a))
    _import(tmp_path, program_a, document)  # the rows take the file's ids
    events = AuditEvent.objects.count()
    out, _ = _import(tmp_path, program_a, document)
    assert (Agency.objects.count(), Service.objects.count()) == (2, 3)
    assert AuditEvent.objects.count() == events  # nothing changed, nothing audited
    assert "0 created, 0 updated, 2 unchanged organizations" in out

    document["organizations"][0]["name"] = "Harbor Clinic (North)"
    walk_in = next(s for s in document["services"] if s["name"] == "Walk-in counseling")
    walk_in["schedules"][0]["description"] = "Daily 8–8"
    out, _ = _import(tmp_path, program_a, document)
    assert (Agency.objects.count(), Service.objects.count()) == (2, 3)
    clinic.refresh_from_db()
    assert clinic.name == "Harbor Clinic (North)"
    assert Service.objects.filter(hours="Daily 8–8").count() == 1
    assert "1 updated" in out
    update = AuditEvent.objects.filter(object_type="referrals.agency").latest("id")
    assert update.actor is None and update.source == "command"
    assert update.changes["name"] == ["Harbor Clinic", "Harbor Clinic (North)"]


def test_a_schema_invalid_record_is_reported_and_changes_nothing(program_a, tmp_path):
    clinic, shelter = _directory(program_a)
    document = json.loads(_export(program_a))
    bad = copy.deepcopy(document)
    bad["organizations"][0]["name"] = "Renamed"
    bad["organizations"][0]["year_incorporated"] = "last year"  # a number in HSDS
    bad_service = next(s for s in bad["services"] if s["name"] == "Beds")
    bad_service["status"] = "open"  # not in HSDS's enum
    bad_service["name"] = "Renamed beds"
    out, err = _import(tmp_path, program_a, bad)
    assert f"organization {clinic.hsds_id}: year_incorporated" in err
    assert f"service {bad_service['id']}: status" in err
    clinic.refresh_from_db()
    assert clinic.name == "Harbor Clinic"
    assert not Service.objects.filter(name="Renamed beds").exists()
    # The clinic's services are skipped with it; the shelter still loads.
    assert "its organization" in err


def test_a_fully_invalid_file_changes_nothing(program_a, tmp_path):
    other = ProgramFactory(slug="other")
    events = AuditEvent.objects.count()
    document = {
        "organizations": [{"id": "not-a-uuid", "name": "X", "description": ""}],
        "services": [{"id": str(uuid.uuid4()), "name": 3, "status": "active"}],
    }
    out, err = _import(tmp_path, other, document)
    assert "organization not-a-uuid: id:" in err
    assert "name: 3 is not of type 'string'" in err
    assert Agency.objects.count() == 0 and AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "text",
    ["not json {", "[1, 2]", '{"people": []}', '{"organizations": {}}'],
)
def test_a_file_that_is_not_an_hsds_directory_is_refused(program_a, tmp_path, text):
    _directory(program_a)
    before = _export(program_a)
    with pytest.raises(CommandError, match="Nothing imported"):
        _import(tmp_path, program_a, text)
    assert _export(program_a) == before


def test_the_vendored_schemas_catch_bad_enums_and_types():
    good = {"id": str(uuid.uuid4()), "name": "S", "status": "active"}
    assert hsds.schema_errors("service", good) == []
    assert hsds.schema_errors("service", {**good, "status": "open"})
    assert hsds.schema_errors("service", {**good, "minimum_age": "ten"})
    assert hsds.schema_errors(
        "service", {k: v for k, v in good.items() if k != "status"}
    )
    # Nested objects are checked through their $ref'd schemas too.
    nested = {
        **good,
        "service_at_locations": [
            {
                "id": str(uuid.uuid4()),
                "location": {"id": str(uuid.uuid4()), "location_type": "moon"},
            }
        ],
    }
    errors = hsds.schema_errors("service", nested)
    assert any("location_type" in e for e in errors)


def test_services_of_an_unknown_organization_are_reported(program_a, tmp_path):
    service_id = str(uuid.uuid4())
    _, err = _import(
        tmp_path,
        program_a,
        {
            "services": [
                {
                    "id": service_id,
                    "name": "S",
                    "status": "active",
                    "organization_id": str(uuid.uuid4()),
                }
            ]
        },
    )
    assert f"service {service_id}: organization_id" in err
    assert Service.objects.count() == 0


def test_compiled_organizations_with_nested_services_load(program_a, tmp_path):
    org_id, service_id = str(uuid.uuid4()), str(uuid.uuid4())
    document = {
        "organizations": [
            {
                "id": org_id,
                "name": "Food Bank",
                "description": "",
                "services": [
                    {
                        "id": service_id,
                        "name": "Pantry",
                        "status": "temporarily closed",
                        "schedules": [
                            {
                                "id": str(uuid.uuid4()),
                                "byday": "MO,WE",
                                "opens_at": "09:00",
                                "closes_at": "12:00",
                            }
                        ],
                    }
                ],
            }
        ]
    }
    _, err = _import(tmp_path, program_a, document)
    assert err == ""
    pantry = Service.objects.get(hsds_id=service_id)
    assert pantry.agency.name == "Food Bank" and pantry.agency.slug == "food-bank"
    assert pantry.accepting == Accepting.NO and pantry.hours == "MO,WE 09:00–12:00"
    assert pantry.agency.kind == AgencyKind.OTHER


def test_export_to_a_file(program_a, tmp_path):
    _directory(program_a)
    target = tmp_path / "out.json"
    call_command(
        "export_directory", "--program", program_a.slug, "--output", str(target)
    )
    assert target.read_text() == _export(program_a)


def test_unknown_program_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="No program"):
        call_command("export_directory", "--program", "nope")
