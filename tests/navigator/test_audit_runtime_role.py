"""The audit log cannot be emptied through the database: TRUNCATE is refused
to its owner and to a superuser too (the guard trigger of migration navigator
0003), and a replica session does not silence the guards. HIPAA §164.312(b).

PostgreSQL only; skips on SQLite and says so, and with
NAVIGATOR_REQUIRE_SERVICES=1 (set by .ci/run) or CI=true fails instead.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from navigator.models import AuditAction, AuditEvent
from tests.factories import PersonFactory
from tests.required import require

AUDIT = AuditEvent._meta.db_table
GUARDS = ("navigator_audit_append_only", "navigator_audit_no_truncate")


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        require(
            "the audit log's database guards and roles are PostgreSQL's: "
            "run with DATABASE_URL=postgres://... (SQLite has only the model's "
            "Python guard, tests/navigator/test_audit.py)"
        )


# --- The guard trigger holds for the owner and a superuser too ----------------
@pytest.fixture
def event(db):
    _require_postgresql()
    person = PersonFactory()
    return AuditEvent.objects.create(
        action=AuditAction.VIEW,
        object_type="person",
        object_id=str(person.pk),
        person_id=person.pk,
    )


@pytest.mark.parametrize(
    "statement", ["TRUNCATE navigator_auditevent", "TRUNCATE navigator_user CASCADE"]
)
def test_truncate_is_refused_to_the_owner_too(event, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Check the fixture's foreign keys now: TRUNCATE refuses, before any
        # trigger, to run while deferred checks are pending in the transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_replica_session_still_meets_the_guards(event):
    """Triggers are ENABLE ALWAYS: session_replication_role = replica (a
    superuser's switch for "skip the triggers") does not silence them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("only a superuser may set session_replication_role")
    for statement in (
        "DELETE FROM navigator_auditevent",
        "TRUNCATE navigator_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(statement)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_guards_stay_on_always(event):
    """Also after a transactional test's flush (tests/conftest.py lifts the
    TRUNCATE guard for that flush alone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger"
            " WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
            [AUDIT],
        )
        assert dict(cursor.fetchall()) == dict.fromkeys(GUARDS, "A")
