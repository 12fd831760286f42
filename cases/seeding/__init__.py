"""Synthetic demo data: three programs, their users, people, a year of
encounters and the staff's follow-ups (``manage.py seed_demo``).

Everything here is invented: names come from common-name lists, phones use the
555 exchange and e-mail addresses example.com, so nothing can reach a person.

- Deterministic: the same ``seed`` (and the same ``now``) gives the same rows.
- Idempotent: seeded rows carry a key - people ``external_id = "demo-<n>"``,
  encounters ``cad_number = "DEMO-<n>"`` - and a run adds only the keys that are
  missing from 1..people and 1..encounters: the same arguments twice add
  nothing the second time, bigger numbers top up. Programs and users are
  created or updated (password reset) by slug / username.
- People go through the one write path for people,
  ``cases.services.people_bulk.people_upsert_bulk`` (the person rules, an
  audit event each), as an import does.
- Fast: rows are plain values with pre-allocated ids, streamed with COPY on
  PostgreSQL (bulk_create elsewhere; people too, inside the service).
  Encounters and contacts get no audit event each; one ``seed`` audit event
  records what the run added.
- The directory (``directory``: agencies keyed by slug) and the referrals
  with their consents and history (``referrals``: keyed 1..referrals by an
  audit marker; every status, a group, an emergency override, consents
  valid, expiring, expired, revoked, Part 2-incomplete) are COPY-loaded too,
  each agency, service, consent and referral with its audit event.
- Follow-ups are few (under a hundred) and go through the follow-up services
  like real ones (validated, audited, reminders planned), once: see
  ``followups_seed``.

Layout: ``specs`` (the programs and their users), ``vocabulary`` (word lists
and weighted tables), ``people`` and ``encounters`` (the generators), ``run``
(``seed_demo``, the familiar-faces refresh) and ``followups`` (the demo follow-ups step); COPY /
bulk_create and PostgreSQL's bulk mode are the platform's ``navigator.bulk``
(people_upsert_bulk inserts with it too). Patch a
setting where it is read, e.g. ``navigator.bulk.BULK_MODE_ABOVE``.
"""

from cases.seeding.directory import curated_count as curated_agencies
from cases.seeding.encounters import ENCOUNTER_KEY, generate_encounters
from cases.seeding.followups import (
    FOLLOWUP_POOL,
    FOLLOWUPS_MARKER,
    NAVIGATOR_FOLLOWUPS,
    TEAM_FOLLOWUPS,
    FollowupSeed,
    followups_seed,
)
from cases.seeding.people import (
    PERSON_KEY,
    PersonSeed,
    generate_people,
)
from cases.seeding.referrals import (
    CONSENT_SCRIPT,
    DEFAULT_REFERRALS,
    REFERRALS_MARKER,
    SCRIPT,
)
from cases.seeding.run import (
    DEFAULT_ENCOUNTERS,
    DEFAULT_PASSWORD,
    DEFAULT_PEOPLE,
    DEFAULT_SEED,
    SeedResult,
    familiar_faces_refresh,
    seed_demo,
)
from cases.seeding.specs import PROGRAMS, ProgramSpec
from navigator.bulk import BulkLoader

__all__ = [
    "CONSENT_SCRIPT",
    "DEFAULT_REFERRALS",
    "REFERRALS_MARKER",
    "SCRIPT",
    "curated_agencies",
    "DEFAULT_ENCOUNTERS",
    "DEFAULT_PASSWORD",
    "DEFAULT_PEOPLE",
    "DEFAULT_SEED",
    "ENCOUNTER_KEY",
    "FOLLOWUPS_MARKER",
    "FOLLOWUP_POOL",
    "NAVIGATOR_FOLLOWUPS",
    "PERSON_KEY",
    "PROGRAMS",
    "TEAM_FOLLOWUPS",
    "BulkLoader",
    "FollowupSeed",
    "PersonSeed",
    "ProgramSpec",
    "SeedResult",
    "familiar_faces_refresh",
    "followups_seed",
    "generate_encounters",
    "generate_people",
    "seed_demo",
]
