"""Reads of people and encounters, always scoped to the user's programs."""

from __future__ import annotations

import datetime
from typing import Literal, TypedDict

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    Case,
    Expression,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from cases.models import Encounter, FamilyContact, Person
from cases.phonetic import soundex
from cases.text import normalize_name
from navigator.errors import NotFound, PermissionDenied
from navigator.models import User
from navigator.selectors import (
    is_manager_of,
    managed_program_ids_for,
    program_access,
    staff_program_ids_for,
    staff_users_of,
)

# pg_trgm word similarity at or above which a misspelt query word still
# matches a word of a person's names. Measured on real misspellings:
# smiht/smith, micheal/michael, jonson/johnson 0.5; jonh/john, steven/stephen
# 0.4-0.43; unrelated names (bob/robert, ann/dan) 0. Missing a person at
# intake creates a duplicate record, which splits their history and the
# familiar-faces count, so recall wins: 0.4, with exact matches ranked first.
TRIGRAM_THRESHOLD = 0.4
# A word of one or two letters has no trigram of its own: as a fuzzy match
# it would select half the table ("jo" ~ every Jo-name) through a full scan.
# Such words (initials, "Li", "Ng") match as substrings only.
MIN_FUZZY_WORD = 3
# In the ranking on PostgreSQL, a word that sounds like one of the person's
# (same Soundex code) counts as this trigram similarity: that of a typical
# misspelling (smiht/smith 0.5). Without it John Smith came after Jerry
# Jefferson (alias Jerry Smith) for "jhon smtih": jhon~jefferson is a
# borderline 0.4, jhon~john only 0.2.
PHONETIC_SIMILARITY = 0.5


# --- access: who may do what, decided once for every front door -------------
# Out of the user's scope (another program's record, or no staff role there)
# is NotFound: 404 on the page and from the API alike. In scope but not for
# the user's role is PermissionDenied: 403 from the API, a 403 page saying
# why (navigator.views.AccessErrorsMiddleware). DESIGN.md, "Architecture".
# Services call these themselves, so a direct call enforces the same.

PersonAction = Literal["view", "edit", "delete", "restore", "audit"]
FamilyContactAction = Literal["view", "add", "edit", "remove", "restore"]
EncounterAction = Literal["view", "log", "edit", "link", "delete", "restore"]

# Deleted records are hidden from the team; bringing one back and reading a
# record's audit trail are program managers' decisions.
MANAGER_ACTIONS = frozenset({"restore", "audit"})
_MANAGER_ONLY = {
    "restore": "Only a program manager can restore a deleted record.",
    "audit": "Only a program manager can read a record's audit trail.",
}


def _record_access(*, user: User, program_id: int, action: str, missing: str) -> None:
    if program_id not in staff_program_ids_for(user=user):
        raise NotFound(missing)
    if action in MANAGER_ACTIONS and not is_manager_of(
        user=user, program_id=program_id
    ):
        raise PermissionDenied(_MANAGER_ONLY[action], code="manager_only")


def person_access(*, user: User, person: Person, action: PersonAction) -> None:
    """May ``user`` do ``action`` to ``person``? NotFound / PermissionDenied."""
    _record_access(
        user=user,
        program_id=person.program_id,
        action=action,
        missing="No such person.",
    )


def family_contact_access(
    *, user: User, contact: FamilyContact, action: FamilyContactAction
) -> None:
    # A contact belongs to its person's record: the person's scope is its own.
    _record_access(
        user=user,
        program_id=contact.person.program_id,
        action=action,
        missing="No such contact.",
    )


def encounter_access(
    *, user: User, encounter: Encounter, action: EncounterAction
) -> None:
    _record_access(
        user=user,
        program_id=encounter.program_id,
        action=action,
        missing="No such encounter.",
    )


def person_list_for(*, user: User, include_deleted: bool = False) -> QuerySet[Person]:
    qs = Person.objects.filter(program_id__in=staff_program_ids_for(user=user))
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs.select_related("program").prefetch_related("aliases")


def person_get_for(
    *,
    user: User,
    person_id: int | str | None,
    action: PersonAction = "view",
    include_deleted: bool = False,
) -> Person:
    """One person the user may do ``action`` to (a deleted one only with
    ``include_deleted``, or for a manager's action)."""
    include_deleted = include_deleted or action in MANAGER_ACTIONS
    try:
        person = (
            Person.objects.filter(**({} if include_deleted else _LIVE))
            .select_related("program")
            .prefetch_related("aliases")
            .get(pk=int(person_id))  # type: ignore[arg-type]
        )
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such person.") from None
    person_access(user=user, person=person, action=action)
    return person


_LIVE = {"deleted_at__isnull": True}


def person_list_deleted_for_manager(*, user: User) -> QuerySet[Person]:
    """The deleted records of the programs the user manages."""
    program_access(user=user)
    return person_list_for(user=user, include_deleted=True).filter(
        deleted_at__isnull=False, program_id__in=managed_program_ids_for(user=user)
    )


def person_search(qs: QuerySet[Person], query: str) -> QuerySet[Person]:
    """Match any name or alias; case/accent-insensitive; typo-tolerant.

    Every word of the query must match a word of a person's names (first,
    middle, last, preferred, aliases): as a substring; or, for words of
    ``MIN_FUZZY_WORD`` letters or more, by sound (the word's Soundex code is
    among the person's, ``Person.search_phonetic``: jhon/john, mraia/maria)
    or, on PostgreSQL, as a trigram-similar word (``TRIGRAM_THRESHOLD``:
    smiht/smith). The phonetic match is a plain LIKE, so SQLite tolerates
    typos too. People whose names contain every word come first; then on
    PostgreSQL those every word of whose matches by substring or trigram;
    then those found only through a Soundex code. Within each, on
    PostgreSQL, by similarity (``PHONETIC_SIMILARITY`` for a word that
    sounds alike), else by name.
    """
    words = normalize_name(query).split()
    if not words:
        return qs
    exact = Q()
    for word in words:
        exact &= Q(search_text__contains=word)
    postgres = connection.vendor == "postgresql"
    if postgres:
        _use_trigram_threshold()
    match = Q()
    close = Q()  # every word matched without its Soundex code
    rank: Expression | None = None
    for i, word in enumerate(words):
        word_match = Q(search_text__contains=word)
        code = soundex(word) if len(word) >= MIN_FUZZY_WORD else ""
        sounds_alike = Q(search_phonetic__contains=f" {code} ")
        if postgres:
            similarity = TrigramWordSimilarity(word, "search_text")
            score: Expression = similarity
            if code:
                score = Greatest(
                    similarity,
                    Case(
                        When(sounds_alike, then=Value(PHONETIC_SIMILARITY)),
                        default=Value(0.0),
                        output_field=FloatField(),
                    ),
                )
            rank = score if rank is None else rank + score
        if len(word) < MIN_FUZZY_WORD:
            match &= word_match
            close &= word_match
            continue
        if postgres:
            qs = qs.alias(**{f"search_similarity_{i}": similarity})
            # The %> operator lets the GIN index (migration 0003) find
            # candidates; the explicit bound pins the threshold whatever the
            # session says.
            word_match |= Q(search_text__trigram_word_similar=word) & Q(
                **{f"search_similarity_{i}__gte": TRIGRAM_THRESHOLD}
            )
        close &= word_match
        if code:
            # A LIKE on every database; trigram-indexed on PostgreSQL
            # (migration 0005).
            word_match |= sounds_alike
        match &= word_match
    tier = Case(
        When(exact, then=Value(2)),
        When(close, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    qs = qs.filter(match).annotate(search_tier=tier)
    if not postgres:
        return qs.order_by("-search_tier", "last_name", "first_name", "id")
    return qs.annotate(search_rank=rank).order_by(
        "-search_tier", "-search_rank", "last_name", "first_name", "id"
    )


def _use_trigram_threshold() -> None:
    # The %> operator compares with this session setting (default 0.6), not
    # with a value in the query. Set on every search: a cached flag would go
    # stale when a transaction that set it rolls back.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(TRIGRAM_THRESHOLD)],
        )


def dob_range_for_age(
    *, age_min: int | None, age_max: int | None, today: datetime.date | None = None
) -> Q:
    """People aged between age_min and age_max (inclusive) today."""
    today = today or timezone.localdate()
    q = Q()
    if age_min is not None:
        q &= Q(date_of_birth__lte=_years_before(today, age_min))
    if age_max is not None:
        q &= Q(date_of_birth__gt=_years_before(today, age_max + 1))
    return q


def _years_before(day: datetime.date, years: int) -> datetime.date:
    # Any age a query string can hold must give a date, not a ValueError (a
    # 500): beyond the calendar's range the bound is simply open.
    year = day.year - years
    if year < datetime.MINYEAR:
        return datetime.date.min
    if year > datetime.MAXYEAR:
        return datetime.date.max
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=year, day=28)


def family_contacts_for(*, person: Person) -> QuerySet[FamilyContact]:
    return person.family_contacts.filter(deleted_at__isnull=True)


def family_contacts_removed_for(*, person: Person) -> QuerySet[FamilyContact]:
    """A person's removed contacts, newest removal first (for their restore)."""
    return person.family_contacts.filter(deleted_at__isnull=False).order_by(
        "-deleted_at"
    )


def family_contact_get_for(
    *,
    user: User,
    contact_id: int | str,
    person_id: int | str | None = None,
    action: FamilyContactAction = "view",
    include_deleted: bool = False,
) -> FamilyContact:
    """A live contact of a live person (``include_deleted``: or a removed one,
    to restore it); with ``person_id``, of that person (a URL naming another
    person's contact is out of scope too). A deleted person's contacts go
    with them: restore the person first."""
    qs = FamilyContact.objects.select_related("person", "deleted_by").filter(
        person__deleted_at__isnull=True
    )
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    try:
        contact = qs.get(pk=int(contact_id))
        if person_id is not None and contact.person_id != int(person_id):
            raise FamilyContact.DoesNotExist
    except (FamilyContact.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such contact.") from None
    family_contact_access(user=user, contact=contact, action=action)
    return contact


class PkRow(TypedDict):
    """A ``.values("pk")`` row."""

    pk: int


def deleted_people() -> QuerySet[Person, PkRow]:
    """The ids of soft-deleted people (few; the ``person_deleted`` index).

    ``.exclude(person__in=deleted_people())`` keeps the rows of live people
    (and those of no one) without joining each row to its person, so a
    list's count reads one index: 2 ms for 10,001 encounters, against 22 ms
    joined (docs/decisions/0008-list-pagination.md).
    """
    return Person.objects.filter(deleted_at__isnull=False).values("pk")


def encounter_responders_for(*, user: User) -> QuerySet[User]:
    """Whom the user may name as an encounter's responders: staff of the
    user's programs (whom ``encounter_log`` accepts), and the user."""
    staff = staff_users_of(program_ids=staff_program_ids_for(user=user))
    return (
        User.objects.filter(Q(pk=user.pk) | Q(pk__in=staff.values("pk")))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def encounter_list_for(
    *, user: User, include_deleted: bool = False
) -> QuerySet[Encounter]:
    qs = Encounter.objects.filter(program_id__in=staff_program_ids_for(user=user))
    if not include_deleted:
        # A deleted person's encounters go with them (their name would show).
        qs = qs.filter(deleted_at__isnull=True).exclude(person__in=deleted_people())
    return qs.select_related("person", "program", "created_by").prefetch_related(
        "navigators"
    )


def encounter_get_for(
    *,
    user: User,
    encounter_id: int | str,
    action: EncounterAction = "view",
    include_deleted: bool = False,
) -> Encounter:
    """One encounter the user may do ``action`` to (a deleted one only with
    ``include_deleted``, or for a manager's action)."""
    include_deleted = include_deleted or action in MANAGER_ACTIONS
    qs = Encounter.objects.all()
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True).exclude(person__in=deleted_people())
    try:
        encounter = (
            qs.select_related("person", "program", "created_by")
            .prefetch_related("navigators")
            .get(pk=int(encounter_id))
        )
    except (Encounter.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such encounter.") from None
    encounter_access(user=user, encounter=encounter, action=action)
    return encounter


def encounter_list_recent_for_navigator(
    *, user: User, days: int = 14
) -> QuerySet[Encounter]:
    """The user's own recent encounters: logged by them or with them on scene."""
    since = timezone.now() - datetime.timedelta(days=days)
    # A semi-join on the responders, not a JOIN + DISTINCT over every column
    # (a third of the time on a navigator with thousands of encounters).
    on_scene = Encounter.navigators.through.objects.filter(user=user).values(
        "encounter_id"
    )
    return encounter_list_for(user=user).filter(
        Q(created_by=user) | Q(pk__in=on_scene), started_at__gte=since
    )


def encounter_list_unidentified_for(*, user: User) -> QuerySet[Encounter]:
    """Encounters of the user's programs logged without a person: waiting
    for someone to link them (newest first, as Today lists them)."""
    return (
        encounter_list_for(user=user)
        .filter(person__isnull=True)
        .order_by("-started_at", "-pk")
    )


def encounter_list_for_manager(*, user: User) -> QuerySet[Encounter]:
    """All encounters of the programs the user manages."""
    managed = managed_program_ids_for(user=user)
    return encounter_list_for(user=user).filter(program_id__in=managed)


def encounter_list_deleted_for_manager(*, user: User) -> QuerySet[Encounter]:
    """The deleted encounters of the programs the user manages."""
    program_access(user=user)
    return encounter_list_for(user=user, include_deleted=True).filter(
        deleted_at__isnull=False, program_id__in=managed_program_ids_for(user=user)
    )


def concern_filter(concern: str) -> Q:
    """Encounters with this presenting concern (a JSON list field)."""
    if connection.vendor == "postgresql":
        return Q(concerns__contains=[concern])
    # SQLite has no JSON containment; the list is stored as JSON text.
    return Q(concerns__icontains=f'"{concern}"')
