"""The audit log cannot be emptied or rewritten through the database: not by
the runtime role web, worker and beat log in as (no TRUNCATE, no ALTER, no
superuser), and not by TRUNCATE as its owner or a superuser either (the guard
trigger of migration navigator 0003). HIPAA §164.312(b).

Roles are cluster-wide, so this module makes its own pair, with names unique
to the run, the way the deployment does (.docker/postgres/initdb.d/10-roles.sh
as the superuser, then ``manage.py grant_runtime_role`` as the owner), against
the test database, and drops them afterwards. It needs DATABASE_URL=postgres://
as a superuser, psql on PATH and password-less (trust) logins on the database
host, as CI has; without them it skips and says so, and with
NAVIGATOR_REQUIRE_SERVICES=1 (set by .ci/run) or CI=true it fails instead.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models.sql import InsertQuery
from psycopg import sql

from navigator.models import AuditAction, AuditEvent
from tests.factories import PersonFactory
from tests.required import database_url, require

pytestmark = pytest.mark.slow

BASE_DIR = Path(settings.BASE_DIR)
ROLES_SCRIPT = BASE_DIR / ".docker" / "postgres" / "initdb.d" / "10-roles.sh"
AUDIT = AuditEvent._meta.db_table
GUARDS = ("navigator_audit_append_only", "navigator_audit_no_truncate")


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        require(
            "the audit log's database guards and roles are PostgreSQL's: "
            "run with DATABASE_URL=postgres://... (SQLite has only the model's "
            "Python guard, tests/navigator/test_audit.py)"
        )


def _connect(*, user: str | None = None, autocommit: bool = False):
    """A connection of its own to the test database, as ``user`` (trust auth)
    or as the configured user."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=user or db["USER"],
        password=None if user else db.get("PASSWORD") or None,
        autocommit=autocommit,
        connect_timeout=10,
    )


def _manage(*args: str, user: str, password: str) -> subprocess.CompletedProcess:
    """``manage.py ARGS`` in a process of its own, logged in as ``user``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_TASK_ALWAYS_EAGER", "PYTEST_CURRENT_TEST"}
    }
    env["DATABASE_URL"] = database_url(user=user, password=password)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    owner_password: str
    app_password: str

    def grant(self) -> subprocess.CompletedProcess:
        """What docker-compose's migrate service runs after migrate."""
        return _manage(
            "grant_runtime_role",
            "--role",
            self.app,
            user=self.owner,
            password=self.owner_password,
        )


@pytest.fixture(scope="module")
def roles(django_db_setup) -> Iterator[Roles]:
    _require_postgresql()
    if shutil.which("psql") is None:
        require(
            "the runtime-role test runs the deployment's role script, which "
            "needs psql on PATH (Debian: postgresql-client)"
        )
    with _connect(autocommit=True) as admin:
        row = admin.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    if not row[0]:
        require("the runtime-role test creates roles: DATABASE_URL must be a superuser")
    token = uuid.uuid4().hex[:12]
    made = Roles(
        owner=f"nav_test_owner_{token}",
        app=f"nav_test_app_{token}",
        owner_password=secrets.token_urlsafe(16),
        app_password=secrets.token_urlsafe(16),
    )
    try:
        _run_roles_script(made)
        granted = made.grant()
        assert granted.returncode == 0, granted.stderr
        yield made
    finally:
        _drop_roles(made)


def _run_roles_script(roles: Roles) -> None:
    db = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGPASSWORD": db.get("PASSWORD") or "",
        # The script re-owns every table; never wait behind a stray lock.
        "PGOPTIONS": "-c lock_timeout=10s",
        "POSTGRES_USER": db["USER"],
        "POSTGRES_DB": db["NAME"],
        "NAVIGATOR_DB_OWNER": roles.owner,
        "NAVIGATOR_DB_APP": roles.app,
        "NAVIGATOR_DB_OWNER_PASSWORD": roles.owner_password,
        "NAVIGATOR_DB_APP_PASSWORD": roles.app_password,
    }
    result = subprocess.run(
        ["bash", str(ROLES_SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _drop_roles(roles: Roles) -> None:
    """Hand the test database back as pytest-django made it, then drop the
    roles. One transaction: if giving the tables back fails, DROP OWNED (which
    would drop them) never runs."""
    owner, app = sql.Identifier(roles.owner), sql.Identifier(roles.app)
    database = sql.Identifier(connection.settings_dict["NAME"])
    with _connect() as admin, admin.transaction():
        existing = {
            name
            for (name,) in admin.execute(
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)",
                [[roles.owner, roles.app]],
            )
        }
        if roles.owner in existing:
            admin.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(owner))
            admin.execute("ALTER SCHEMA public OWNER TO pg_database_owner")
        admin.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO PUBLIC").format(
                database
            )
        )
        admin.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
        # One role at a time: DROP OWNED BY both at once trips over the
        # default privileges they share ("could not find tuple for default
        # ACL", PostgreSQL 15).
        for name, ident in ((roles.owner, owner), (roles.app, app)):
            if name in existing:
                admin.execute(sql.SQL("DROP OWNED BY {}").format(ident))
                admin.execute(sql.SQL("DROP ROLE {}").format(ident))


@pytest.fixture
def runtime(roles):
    """A connection as the runtime role; whatever it does is rolled back."""
    conn = _connect(user=roles.app)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _orm_insert(obj) -> tuple[str, list]:
    """The INSERT the app's ORM sends for ``obj`` (every column, as models.py
    has them now), to send over another connection."""
    fields = [f for f in obj._meta.local_concrete_fields if not f.primary_key]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [obj._meta.pk]
    [(statement, params)] = compiler.as_sql()
    return statement, list(params)


# What the runtime role is refused, each for want of a privilege (SQLSTATE
# 42501), not because a trigger happened to catch it.
REFUSED = {
    "update an event": "UPDATE navigator_auditevent SET reason = 'rewritten'",
    "delete events": "DELETE FROM navigator_auditevent",
    "truncate": "TRUNCATE navigator_auditevent",
    "truncate by cascade": "TRUNCATE navigator_user CASCADE",
    "disable the row trigger": "ALTER TABLE navigator_auditevent DISABLE TRIGGER navigator_audit_append_only",
    "disable every trigger": "ALTER TABLE navigator_auditevent DISABLE TRIGGER ALL",
    "act as a replica": "SET session_replication_role = replica",
    "drop the table": "DROP TABLE navigator_auditevent",
    "rename the table": "ALTER TABLE navigator_auditevent RENAME TO audit_old",
    "drop the guard": "DROP FUNCTION navigator_audit_append_only() CASCADE",
    "add a trigger": (
        "CREATE TRIGGER sneak BEFORE INSERT ON navigator_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION navigator_audit_append_only()"
    ),
    "create a table": "CREATE TABLE navigator_shadow (id int)",
    "create a temporary table": "CREATE TEMPORARY TABLE scratch (id int)",
    "rewrite the schema history": "DELETE FROM django_migrations",
    "become the owner": "SET ROLE {owner}",
    "create a role": "CREATE ROLE nav_test_intruder",
    "run a program on the server": "COPY navigator_auditevent (reason) FROM PROGRAM 'true'",
    "read a server file": "SELECT pg_read_file('postgresql.conf')",
}


@pytest.mark.parametrize("statement", REFUSED.values(), ids=REFUSED.keys())
def test_the_runtime_role_is_refused(runtime, roles, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        runtime.execute(statement.format(owner=roles.owner))


def test_the_runtime_role_holds_no_more_than_it_needs(runtime):
    privileges = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES")
    held = runtime.execute(
        "SELECT c.relname, p FROM pg_class c, unnest(%s::text[]) AS p"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
        " AND has_table_privilege(c.oid, p)",
        [[*privileges, "TRIGGER"]],
    ).fetchall()
    by_table: dict[str, set[str]] = {}
    for table, privilege in held:
        by_table.setdefault(table, set()).add(privilege)
    assert by_table.pop(AUDIT) == {"SELECT", "INSERT"}
    assert by_table.pop("django_migrations") == {"SELECT"}
    assert {"cases_person", "cases_encounter", "django_session"} <= by_table.keys()
    assert all(p == set(privileges[:4]) for p in by_table.values()), by_table
    attributes = runtime.execute(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication,"
        " rolcanlogin FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert attributes == (False, False, False, False, False, True)


@pytest.mark.django_db
def test_the_runtime_role_appends_to_the_audit_log_and_reads_it(runtime):
    event = AuditEvent(
        action=AuditAction.VIEW, object_type="person", object_id="1", source="web"
    )
    statement, params = _orm_insert(event)
    [(new_id,)] = runtime.execute(statement, params).fetchall()
    read = runtime.execute(
        "SELECT action, object_type FROM navigator_auditevent WHERE id = %s",
        [new_id],
    ).fetchone()
    assert read == ("view", "person")


APP_AS_RUNTIME_ROLE = """
import json
from django.db import transaction
from cases import services
from navigator.models import AuditEvent, Role
from tests.factories import ProgramFactory, member

class Undo(Exception):
    pass

try:
    with transaction.atomic():
        program = ProgramFactory(slug="runtime-role-{token}")
        navigator = member(program, Role.NAVIGATOR, username="runtime-{token}")
        person = services.person_create(by=navigator, data={{"first_name": "Ana"}})
        services.person_update(by=navigator, person=person, data={{"city": "Aberdeen"}})
        person.refresh_from_db()
        trail = AuditEvent.objects.filter(person_id=person.pk).order_by("id")
        print(json.dumps({{
            "city": person.city,
            "trail": list(trail.values_list("action", flat=True)),
        }}))
        raise Undo  # nothing stays in the shared test database
except Undo:
    pass
"""


def test_the_app_writes_as_the_runtime_role(roles):
    """The services, their audit events and the ids they take from sequences
    work with the runtime role's privileges alone."""
    script = APP_AS_RUNTIME_ROLE.format(token=uuid.uuid4().hex[:8])
    result = _manage("shell", "-c", script, user=roles.app, password=roles.app_password)
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout.strip().splitlines()[-1])
    assert done == {"city": "Aberdeen", "trail": ["create", "update"]}


def test_a_table_a_later_migration_creates_is_usable_at_once(roles, runtime):
    """Default privileges: the owner creates a table (as a migration would)
    and the runtime role may write it before grant_runtime_role runs again,
    but gets nothing more than on the others."""
    table = sql.Identifier(f"nav_probe_{uuid.uuid4().hex[:8]}")
    with _connect(user=roles.owner, autocommit=True) as owner:
        owner.execute(
            sql.SQL(
                "CREATE TABLE {} (id bigint GENERATED BY DEFAULT AS IDENTITY"
                " PRIMARY KEY, note text)"
            ).format(table)
        )
        try:
            insert = sql.SQL("INSERT INTO {} (note) VALUES ('a') RETURNING id")
            [(row_id,)] = runtime.execute(insert.format(table)).fetchall()
            update = sql.SQL("UPDATE {} SET note = 'b' WHERE id = %s")
            assert runtime.execute(update.format(table), [row_id]).rowcount == 1
            delete = sql.SQL("DELETE FROM {} WHERE id = %s")
            assert runtime.execute(delete.format(table), [row_id]).rowcount == 1
            runtime.rollback()
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                runtime.execute(sql.SQL("TRUNCATE {}").format(table))
        finally:
            runtime.rollback()
            owner.execute(sql.SQL("DROP TABLE {}").format(table))


def test_granting_again_re_states_the_audit_logs_grants(roles):
    """A re-created audit table would get the default privileges (UPDATE and
    DELETE among them); the grant after migrate takes them back."""
    with _connect(user=roles.owner, autocommit=True) as owner:
        owner.execute(
            sql.SQL("GRANT ALL ON {} TO {}").format(
                sql.Identifier(AUDIT), sql.Identifier(roles.app)
            )
        )
    granted = roles.grant()
    assert granted.returncode == 0, granted.stderr
    assert "only SELECT, INSERT on navigator_auditevent" in granted.stdout
    assert "Warning" not in granted.stderr  # run as the owner, as compose does
    with _connect(user=roles.app) as runtime:
        for statement in (
            "UPDATE navigator_auditevent SET reason = ''",
            "TRUNCATE navigator_auditevent",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                runtime.execute(statement)
            runtime.rollback()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("{owner}", "owns .* objects in this database"),
        ("{superuser}", "is the role running this command"),
        ("nav_test_nobody", "does not exist"),
        ('x"; DROP TABLE navigator_auditevent; --', "not a plain lower-case"),
    ],
)
def test_grant_runtime_role_refuses_a_role_that_holds_too_much(roles, role, refusal):
    superuser = connection.settings_dict["USER"]
    role = role.format(owner=roles.owner, superuser=superuser)
    with pytest.raises(CommandError, match=refusal):
        call_command("grant_runtime_role", role=role)


def test_grant_runtime_role_is_postgresql_only(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="only on PostgreSQL"):
        call_command("grant_runtime_role", role="navigator_app")


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
