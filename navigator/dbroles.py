"""The runtime database role's privileges, re-stated after every migrate.

The deployment creates two roles (.docker/postgres/initdb.d/10-roles.sh): an
owner that runs migrations and owns every table, and a runtime role that web,
worker and beat log in as. Tables belong to their creator, so what the runtime
role may do with them is granted here, by the owner, once per migrate; default
privileges cover tables a later migration creates before this runs again.
docs/decisions/0005-database-roles.md says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, transaction

from navigator.models import AuditEvent

# The audit log is append-only (HIPAA §164.312(b)): the runtime role adds
# events and reads them, never changes or removes one.
APPEND_ONLY_TABLES = (AuditEvent._meta.db_table,)
# The schema's history is written by migrate, as the owner, alone.
READ_ONLY_TABLES = ("django_migrations",)
WRITE = "SELECT, INSERT, UPDATE, DELETE"
# Names as 10-roles.sh and PostgreSQL's unquoted identifiers spell them.
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
FORBIDDEN_ATTRIBUTES = {
    "rolsuper": "a superuser",
    "rolcreatedb": "allowed to create databases",
    "rolcreaterole": "allowed to create roles",
    "rolbypassrls": "exempt from row-level security",
    "rolreplication": "a replication role",
}


class RoleError(Exception):
    """The role is missing or holds more than a runtime role may."""


@dataclass(frozen=True)
class Granted:
    role: str
    grantor: str
    # Who owns the tables: default privileges follow the role that creates
    # them, so the grantor should be this role.
    owner: str
    schema: str
    tables: int
    sequences: int


def runtime_role_grant(*, role: str) -> Granted:
    """Give ``role`` exactly the runtime privileges on this schema's tables and
    sequences: everything else it held there is revoked first, in the same
    transaction, so running this again re-states the grants (also those of a
    table a migration re-created with the default privileges)."""
    if connection.vendor != "postgresql":
        raise RoleError("database roles exist only on PostgreSQL")
    if not ROLE_NAME.fullmatch(role):
        raise RoleError(f"{role!r} is not a plain lower-case role name")
    qn = connection.ops.quote_name
    name = qn(role)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        grantor, schema_name = cursor.fetchone()
        _check_runtime_role(cursor, role=role, grantor=grantor)
        schema = qn(schema_name)
        statements = [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {name}",
            f"GRANT {WRITE} ON ALL TABLES IN SCHEMA {schema} TO {name}",
            *(f"REVOKE UPDATE, DELETE ON {qn(t)} FROM {name}" for t in APPEND_ONLY_TABLES),
            *(f"REVOKE INSERT, UPDATE, DELETE ON {qn(t)} FROM {name}" for t in READ_ONLY_TABLES),
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {name}",
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
            # Tables and sequences this role (the one running migrate) creates
            # later: usable at once, before the next grant_runtime_role.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {WRITE} ON TABLES TO {name}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE ON SEQUENCES TO {name}",
        ]  # fmt: skip
        for statement in statements:
            cursor.execute(statement)
        _check_append_only(cursor, role=role)
        cursor.execute(
            "SELECT count(*) FILTER (WHERE c.relkind <> 'S'),"
            " count(*) FILTER (WHERE c.relkind = 'S'),"
            " pg_get_userbyid(max(c.relowner::int8) FILTER (WHERE c.relname = %s)::oid)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')",
            [AuditEvent._meta.db_table, schema_name],
        )
        tables, sequences, owner = cursor.fetchone()
    return Granted(
        role=role,
        grantor=grantor,
        owner=owner,
        schema=schema_name,
        tables=tables,
        sequences=sequences,
    )


def _check_runtime_role(cursor, *, role: str, grantor: str) -> None:
    if role == grantor:
        raise RoleError(
            f"{role} is the role running this command: grant to the runtime "
            "role while connected as the owner (the migrate connection)"
        )
    columns = ", ".join(FORBIDDEN_ATTRIBUTES)
    cursor.execute(f"SELECT {columns} FROM pg_roles WHERE rolname = %s", [role])  # noqa: S608 -- fixed column names
    row = cursor.fetchone()
    if row is None:
        raise RoleError(
            f"role {role} does not exist: create it with "
            ".docker/postgres/initdb.d/10-roles.sh (README 'Production')"
        )
    held = [
        what
        for what, has in zip(FORBIDDEN_ATTRIBUTES.values(), row, strict=True)
        if has
    ]
    if held:
        raise RoleError(f"{role} must not be {', '.join(held)}")
    # A member of another role may act with that role's privileges, and an
    # owner may alter, truncate or drop what it owns, whatever was granted.
    cursor.execute(
        "SELECT roleid::regrole::text FROM pg_auth_members"
        " WHERE member = %s::regrole ORDER BY 1",
        [role],
    )
    if memberships := [r[0] for r in cursor.fetchall()]:
        raise RoleError(f"{role} must be a member of no role: {', '.join(memberships)}")
    cursor.execute(
        "SELECT (SELECT count(*) FROM pg_class WHERE relowner = %s::regrole)"
        " + (SELECT count(*) FROM pg_namespace WHERE nspowner = %s::regrole)"
        " + (SELECT count(*) FROM pg_proc WHERE proowner = %s::regrole)"
        " + (SELECT count(*) FROM pg_database"
        "    WHERE datname = current_database() AND datdba = %s::regrole)",
        [role] * 4,
    )
    if owned := cursor.fetchone()[0]:
        raise RoleError(
            f"{role} owns {owned} objects in this database; it may own none"
        )


def _check_append_only(cursor, *, role: str) -> None:
    # What the role can do in the end, memberships and PUBLIC grants included.
    for table in APPEND_ONLY_TABLES:
        cursor.execute(
            "SELECT privilege FROM unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE',"
            " 'REFERENCES', 'TRIGGER']) AS privilege"
            " WHERE has_table_privilege(%s, %s, privilege)",
            [role, table],
        )
        if extra := [r[0] for r in cursor.fetchall()]:
            raise RoleError(f"{role} still holds {', '.join(extra)} on {table}")
