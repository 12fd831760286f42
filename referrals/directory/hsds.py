"""The directory in Open Referral's Human Services Data Specification 3.0.

HSDS 3.0 publishes JSON, validated by its JSON schemas, and has "no single
top-level object" (HSDS 3.0 Schema Reference, "Schema structure"). A file
here is one JSON object with two lists, each item an HSDS object as the
HSDS API's full answers give it, its parts nested::

    {"organizations": [organization, ...], "services": [service, ...]}

- ``organizations``: ``organization`` objects (schema ``organization.json``)
  with their ``phones``, ``locations`` (each with ``addresses``) and
  ``attributes``. The compiled form of HSDS (an organization with its
  ``services`` nested, ``schema/compiled/organization.json``) is read too.
- ``services``: ``service`` objects (``service.json``) naming their
  ``organization_id``, with ``phones``, ``schedules``, ``languages``,
  ``service_at_locations`` (each with its ``location`` and its
  ``addresses``) and ``attributes``.

Each object is validated against the vendored schemas (``schemas/``, HSDS
3.0) before it is read; one that fails is reported by type and id, and the
others load.

Where each of our fields goes:

| Navigator | HSDS 3.0 |
|---|---|
| Agency.hsds_id, name, description, email, website | organization.id, name, description, email, website |
| Agency.phone | organization.phones[0].number (its id: ``hsds_ids["phone"]``) |
| Agency address | organization.locations[0] (physical) .addresses[0] (ids: ``hsds_ids["location"]``, ``["address"]``); country is written "US" and not read |
| Agency.kind, slug, is_part2_program, is_active | organization.attributes: terms ``agency_kind``, ``slug``, ``part2_program`` (value "true"/"false"), ``active`` of the taxonomy ``navigator`` (HSDS has no field for them; attributes are its extension point, HSDS 3.0 "Extending HSDS") |
| Service.hsds_id, name, description, eligibility | service.id, name, description, eligibility_description |
| Service.is_active | service.status ``active`` / ``inactive`` (``defunct`` reads as inactive; ``temporarily closed`` as active, not accepting) |
| Service.categories | service.attributes, one per category: a taxonomy term of the taxonomy ``navigator-service-category`` whose code is the category |
| Service.accepting, capacity_note | service.attributes: terms ``accepting`` (value yes/no/waitlist) and ``capacity_note`` (value the note) of ``navigator`` |
| Service.phone | service.phones[0] (``hsds_ids["phone"]``) |
| Service.hours | service.schedules[0].description (``hsds_ids["schedule"]``); a schedule without a description reads as its byday/opens_at/closes_at |
| Service.languages | service.languages[].name (their ids: ``hsds_ids["languages"]``, by name) |
| Service address, latitude, longitude | service.service_at_locations[0] (``hsds_ids["service_at_location"]``) .location (``["location"]``, latitude, longitude) .addresses[0] (``["address"]``) |

The ids of the parts we fold into one row are kept, so an export gives
them back; a part we never had gets an id derived from its row's (UUID 5),
the same on every export. An export is sorted and byte-for-byte the same
for the same directory; a re-import of it changes nothing.
"""

from __future__ import annotations

import decimal
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from navigator.models import Program, User
from referrals.directory.services import (
    AgencyData,
    ImportedAgency,
    ImportedService,
    ImportReport,
    Problem,
    ServiceData,
    directory_import,
)
from referrals.models import Accepting, Agency, AgencyKind, Service, ServiceCategory

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# Our own taxonomies (HSDS taxonomy objects), with fixed ids so every
# export names them the same.
NAMESPACE = uuid.UUID("8f4c2a4e-5c1b-4f0e-9a8e-6f7d1b2c3d4e")
NAVIGATOR_TAXONOMY = "navigator"
CATEGORY_TAXONOMY = "navigator-service-category"
TERMS = {
    "agency_kind": "The kind of agency (clinic, shelter, ...).",
    "slug": "The agency's short name in Navigator's URLs and API.",
    "part2_program": "A substance-use program under 42 CFR Part 2 (true/false).",
    "active": "Whether the agency is in the directory's search (true/false).",
    "accepting": "Whether the service takes new clients (yes, no, waitlist).",
    "capacity_note": "A note on the service's capacity.",
}


class HsdsFileError(Exception):
    """The file is not an HSDS directory at all (nothing was loaded)."""


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _taxonomy_id(name: str) -> str:
    return _id("taxonomy", name)


# --- the schemas ---------------------------------------------------------------


@cache
def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT202012))
        for path in sorted(SCHEMA_DIR.glob("*.json"))
    ]
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator of one HSDS object type (``organization``, ``service``)."""
    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text())
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=FormatChecker()
    )


def schema_errors(kind: str, record: Any) -> list[str]:
    """What the HSDS schema says is wrong with ``record`` (none: valid)."""
    errors = sorted(
        validator(kind).iter_errors(record), key=lambda e: list(e.absolute_path)
    )
    return [
        ("/".join(str(p) for p in e.absolute_path) + ": " if e.absolute_path else "")
        + e.message[:300]
        for e in errors
    ]


# --- export --------------------------------------------------------------------


def _term(taxonomy: str, code: str, name: str, description: str) -> dict[str, Any]:
    return {
        "id": _id("term", taxonomy, code),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": taxonomy,
        "taxonomy_id": _taxonomy_id(taxonomy),
    }


def _attribute(
    entity: str, entity_id: str, term: dict[str, Any], value: str | None = None
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "id": _id("attribute", entity_id, term["taxonomy"], term["code"]),
        "link_id": entity_id,
        "link_entity": entity,
        "link_type": term["taxonomy"],
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    if value is not None:
        attribute["value"] = value
    return attribute


def _navigator_attribute(
    entity: str, entity_id: str, code: str, value: str
) -> dict[str, Any]:
    term = _term(NAVIGATOR_TAXONOMY, code, code.replace("_", " "), TERMS[code])
    return _attribute(entity, entity_id, term, value)


def _address(
    location_id: str, address_id: str, row: Agency | Service
) -> dict[str, Any]:
    return {
        "id": address_id,
        "location_id": location_id,
        "address_1": row.street_address,
        "city": row.city,
        "state_province": row.state,
        "postal_code": row.postal_code,
        "country": "US",
        "address_type": "physical",
    }


def _has_address(row: Agency | Service) -> bool:
    return bool(row.street_address or row.city or row.state or row.postal_code)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def organization_record(agency: Agency) -> dict[str, Any]:
    org_id = str(agency.hsds_id)
    ids = agency.hsds_ids or {}
    record: dict[str, Any] = {
        "id": org_id,
        "name": agency.name,
        "description": agency.description,
    }
    if agency.email:
        record["email"] = agency.email
    if agency.website:
        record["website"] = agency.website
    if agency.phone:
        record["phones"] = [
            {
                "id": ids.get("phone") or _id(org_id, "phone"),
                "organization_id": org_id,
                "number": agency.phone,
            }
        ]
    if _has_address(agency):
        location_id = ids.get("location") or _id(org_id, "location")
        record["locations"] = [
            {
                "id": location_id,
                "organization_id": org_id,
                "location_type": "physical",
                "addresses": [
                    _address(
                        location_id,
                        ids.get("address") or _id(org_id, "address"),
                        agency,
                    )
                ],
            }
        ]
    record["attributes"] = [
        _navigator_attribute("organization", org_id, "active", _bool(agency.is_active)),
        _navigator_attribute("organization", org_id, "agency_kind", agency.kind),
        _navigator_attribute(
            "organization", org_id, "part2_program", _bool(agency.is_part2_program)
        ),
        _navigator_attribute("organization", org_id, "slug", agency.slug),
    ]
    return record


def _number(value: decimal.Decimal) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def service_record(service: Service) -> dict[str, Any]:
    service_id = str(service.hsds_id)
    ids = service.hsds_ids or {}
    labels = dict(ServiceCategory.choices)
    record: dict[str, Any] = {
        "id": service_id,
        "organization_id": str(service.agency.hsds_id),
        "name": service.name,
        "description": service.description,
        "status": "active" if service.is_active else "inactive",
    }
    if service.eligibility:
        record["eligibility_description"] = service.eligibility
    if service.phone:
        record["phones"] = [
            {
                "id": ids.get("phone") or _id(service_id, "phone"),
                "service_id": service_id,
                "number": service.phone,
            }
        ]
    if service.hours:
        record["schedules"] = [
            {
                "id": ids.get("schedule") or _id(service_id, "schedule"),
                "service_id": service_id,
                "description": service.hours,
            }
        ]
    if service.languages:
        language_ids = ids.get("languages") or {}
        record["languages"] = [
            {
                "id": language_ids.get(name) or _id(service_id, "language", name),
                "service_id": service_id,
                "name": name,
            }
            for name in sorted(service.languages)
        ]
    if _has_address(service) or service.latitude is not None:
        location_id = ids.get("location") or _id(service_id, "location")
        location: dict[str, Any] = {"id": location_id, "location_type": "physical"}
        if service.latitude is not None and service.longitude is not None:
            location["latitude"] = _number(service.latitude)
            location["longitude"] = _number(service.longitude)
        if _has_address(service):
            location["addresses"] = [
                _address(
                    location_id,
                    ids.get("address") or _id(service_id, "address"),
                    service,
                )
            ]
        record["service_at_locations"] = [
            {
                "id": ids.get("service_at_location")
                or _id(service_id, "service_at_location"),
                "service_id": service_id,
                "location_id": location_id,
                "location": location,
            }
        ]
    attributes = [
        _attribute(
            "service",
            service_id,
            _term(
                CATEGORY_TAXONOMY,
                category,
                str(labels.get(category, category)),
                "Navigator's service category.",
            ),
        )
        for category in sorted(service.categories)
    ]
    attributes.append(
        _navigator_attribute("service", service_id, "accepting", service.accepting)
    )
    if service.capacity_note:
        attributes.append(
            _navigator_attribute(
                "service", service_id, "capacity_note", service.capacity_note
            )
        )
    record["attributes"] = attributes
    return record


def program_directory(program: Program) -> list[Agency]:
    """The agencies the program works with (active or not), with their
    services, in the export's order."""
    return list(
        Agency.objects.filter(programs=program)
        .prefetch_related("services__agency")
        .order_by("name", "hsds_id")
    )


def export_document(program: Program) -> dict[str, Any]:
    agencies = program_directory(program)
    services = sorted(
        (service for agency in agencies for service in agency.services.all()),
        key=lambda s: (s.agency.name, str(s.agency.hsds_id), s.name, str(s.hsds_id)),
    )
    return {
        "organizations": [organization_record(a) for a in agencies],
        "services": [service_record(s) for s in services],
    }


def dumps(document: dict[str, Any]) -> str:
    """The file's text: keys sorted, two-space indents, UTF-8, one final
    newline (the same directory gives the same bytes)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- import --------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _first(items: Any) -> dict[str, Any]:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                return item
    return {}


def _attributes(record: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(taxonomy, code, value) of each attribute whose term we can name."""
    by_id = {
        _id("term", NAVIGATOR_TAXONOMY, code): (NAVIGATOR_TAXONOMY, code)
        for code in TERMS
    } | {
        _id("term", CATEGORY_TAXONOMY, code): (CATEGORY_TAXONOMY, code)
        for code in ServiceCategory.values
    }
    for attribute in record.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        if term.get("code"):
            taxonomy, code = _text(term.get("taxonomy")), _text(term.get("code"))
        elif attribute.get("taxonomy_term_id") in by_id:
            taxonomy, code = by_id[attribute["taxonomy_term_id"]]
        else:
            continue
        value = attribute.get("value")
        yield taxonomy, code, value if isinstance(value, str) else None


def _address_fields(address: dict[str, Any]) -> dict[str, str]:
    return {
        "street_address": " ".join(
            p
            for p in (_text(address.get("address_1")), _text(address.get("address_2")))
            if p
        ),
        "city": _text(address.get("city")),
        "state": _text(address.get("state_province")),
        "postal_code": _text(address.get("postal_code")),
    }


def _physical(items: Any) -> dict[str, Any]:
    if isinstance(items, list):
        for item in items:
            if (
                isinstance(item, dict)
                and item.get("address_type", "physical") == "physical"
            ):
                return item
    return _first(items)


def agency_from(record: dict[str, Any]) -> ImportedAgency:
    attrs = {
        code: value
        for taxonomy, code, value in _attributes(record)
        if taxonomy == NAVIGATOR_TAXONOMY
    }
    kind = attrs.get("agency_kind") or AgencyKind.OTHER
    phone = _first(record.get("phones"))
    location = _physical(record.get("locations"))
    address = _physical(location.get("addresses"))
    hsds_ids = {
        key: value
        for key, value in (
            ("phone", phone.get("id")),
            ("location", location.get("id")),
            ("address", address.get("id")),
        )
        if value
    }
    return ImportedAgency(
        hsds_id=uuid.UUID(record["id"]),
        data=AgencyData(
            name=_text(record.get("name")),
            kind=kind,
            slug=_text(attrs.get("slug")),
            description=_text(record.get("description")),
            phone=_text(phone.get("number")),
            email=_text(record.get("email")),
            website=_text(record.get("website")),
            is_part2_program=attrs.get("part2_program") == "true",
            **_address_fields(address),
        ),
        is_active=attrs.get("active") != "false",
        hsds_ids=hsds_ids,
    )


def _hours(schedule: dict[str, Any]) -> str:
    if _text(schedule.get("description")):
        return _text(schedule.get("description"))
    times = "–".join(
        t
        for t in (_text(schedule.get("opens_at")), _text(schedule.get("closes_at")))
        if t
    )
    return " ".join(p for p in (_text(schedule.get("byday")), times) if p)


def _decimal(value: Any) -> decimal.Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return decimal.Decimal(str(value)).quantize(decimal.Decimal("0.000001"))


def service_from(record: dict[str, Any], organization_id: str) -> ImportedService:
    service_id = record["id"]
    categories: list[str] = []
    accepting, capacity_note = "", ""
    for taxonomy, code, value in _attributes(record):
        if taxonomy == CATEGORY_TAXONOMY or (
            taxonomy != NAVIGATOR_TAXONOMY and code in ServiceCategory.values
        ):
            categories.append(code)
        elif taxonomy == NAVIGATOR_TAXONOMY and code == "accepting":
            accepting = value or ""
        elif taxonomy == NAVIGATOR_TAXONOMY and code == "capacity_note":
            capacity_note = value or ""
    status = record.get("status")
    if not accepting:
        accepting = Accepting.NO if status == "temporarily closed" else Accepting.YES
    phone = _first(record.get("phones"))
    schedule = _first(record.get("schedules"))
    at_location = _first(record.get("service_at_locations"))
    nested = at_location.get("location")
    location: dict[str, Any] = nested if isinstance(nested, dict) else {}
    address = _physical(location.get("addresses"))
    languages = [
        lang for lang in record.get("languages") or [] if _text(lang.get("name"))
    ]
    hsds_ids: dict[str, Any] = {
        key: value
        for key, value in (
            ("phone", phone.get("id")),
            ("schedule", schedule.get("id")),
            ("service_at_location", at_location.get("id")),
            ("location", location.get("id") or at_location.get("location_id")),
            ("address", address.get("id")),
        )
        if value
    }
    if languages:
        hsds_ids["languages"] = {_text(lang["name"]): lang["id"] for lang in languages}
    return ImportedService(
        hsds_id=uuid.UUID(service_id),
        agency_hsds_id=uuid.UUID(organization_id),
        data=ServiceData(
            name=_text(record.get("name")),
            description=_text(record.get("description")),
            categories=tuple(categories),
            eligibility=_text(record.get("eligibility_description")),
            languages=tuple(_text(lang["name"]) for lang in languages),
            phone=_text(phone.get("number")),
            hours=_hours(schedule),
            accepting=accepting,
            capacity_note=capacity_note,
            latitude=_decimal(location.get("latitude")),
            longitude=_decimal(location.get("longitude")),
            **_address_fields(address),
        ),
        is_active=status in ("active", "temporarily closed"),
        hsds_ids=hsds_ids,
    )


@dataclass
class ParsedDirectory:
    agencies: list[ImportedAgency] = field(default_factory=list)
    services: list[ImportedService] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _records(document: dict[str, Any], key: str) -> list[Any]:
    items = document.get(key, [])
    if not isinstance(items, list):
        raise HsdsFileError(f'"{key}" must be a list of HSDS {key}.')
    return items


def _record_id(record: Any, index: int) -> str:
    if isinstance(record, dict) and isinstance(record.get("id"), str):
        return record["id"][:100]
    return f"#{index + 1}"


def parse_document(document: Any) -> ParsedDirectory:
    """The records of a file, each checked against its HSDS schema; those
    that fail are in ``problems`` (type, id, what), the rest mapped."""
    if not isinstance(document, dict) or not (
        "organizations" in document or "services" in document
    ):
        raise HsdsFileError(
            'Not an HSDS directory: expected a JSON object with "organizations" '
            'and/or "services" lists.'
        )
    parsed = ParsedDirectory()
    services: list[tuple[Any, str | None]] = []
    seen: set[str] = set()
    for index, record in enumerate(_records(document, "organizations")):
        record_id = _record_id(record, index)
        nested = record.pop("services", None) if isinstance(record, dict) else None
        errors = schema_errors("organization", record)
        if not errors and record_id in seen:
            errors = ["id: appears twice in the file"]
        if errors:
            parsed.problems.append(
                Problem("organization", record_id, "; ".join(errors))
            )
            for n, service in enumerate(nested if isinstance(nested, list) else []):
                parsed.problems.append(
                    Problem(
                        "service", _record_id(service, n), "its organization is invalid"
                    )
                )
            continue
        seen.add(record_id)
        parsed.agencies.append(agency_from(record))
        if isinstance(nested, list):
            services.extend((service, record_id) for service in nested)
    services.extend((s, None) for s in _records(document, "services"))
    seen_services: set[str] = set()
    for index, (record, parent) in enumerate(services):
        record_id = _record_id(record, index)
        errors = schema_errors("service", record)
        organization_id = parent or (
            record.get("organization_id") if isinstance(record, dict) else None
        )
        if not errors and not organization_id:
            errors = ["organization_id: a service needs its organization"]
        if not errors and record_id in seen_services:
            errors = ["id: appears twice in the file"]
        if errors:
            parsed.problems.append(Problem("service", record_id, "; ".join(errors)))
            continue
        seen_services.add(record_id)
        parsed.services.append(service_from(record, str(organization_id)))
    return parsed


def load_text(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HsdsFileError(f"Not a JSON file: {exc}") from None


def import_document(
    *, by: User | None, program: Program, document: Any
) -> ImportReport:
    """Load an HSDS directory into ``program`` (``directory_import`` writes:
    idempotent on the HSDS ids, audited, per-record problems)."""
    parsed = parse_document(document)
    return directory_import(
        by=by,
        program=program,
        agencies=parsed.agencies,
        services=parsed.services,
        problems=parsed.problems,
    )


def problems_text(problems: Iterable[Problem]) -> list[str]:
    return [str(p) for p in problems]
