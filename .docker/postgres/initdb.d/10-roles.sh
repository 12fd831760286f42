#!/usr/bin/env bash
# Navigator's two database roles (docs/decisions/0005-database-roles.md):
#
#   NAVIGATOR_DB_OWNER (default navigator_owner) owns the database, its public
#     schema and every table in it. `manage.py migrate` and, right after it,
#     `manage.py grant_runtime_role` run as this role (docker-compose `migrate`).
#   NAVIGATOR_DB_APP (default navigator_app) is what web, worker and beat log in
#     as. It owns nothing, is no superuser and cannot create databases, roles or
#     tables; grant_runtime_role gives it SELECT, INSERT, UPDATE, DELETE on the
#     app's tables, only SELECT, INSERT on the audit log, USAGE on sequences.
#
# The postgres image runs this once, as its superuser, when it initialises an
# empty data directory (docker-compose mounts this folder on
# /docker-entrypoint-initdb.d). It is idempotent: run it again to change a
# password, or by hand to move a database made before these roles over to
# them (README "Production"):
#   docker compose exec postgres /docker-entrypoint-initdb.d/10-roles.sh
# Passwords come from NAVIGATOR_DB_OWNER_PASSWORD and NAVIGATOR_DB_APP_PASSWORD;
# psql reads them from the environment (\getenv), never from a command line.
# Connection: POSTGRES_USER (a superuser) to POSTGRES_DB, and the usual PG*
# variables (PGHOST, PGPORT) where the image's local socket is not the way in.
set -eo pipefail

: "${NAVIGATOR_DB_OWNER_PASSWORD:?set NAVIGATOR_DB_OWNER_PASSWORD (migration role)}"
: "${NAVIGATOR_DB_APP_PASSWORD:?set NAVIGATOR_DB_APP_PASSWORD (runtime role)}"
export NAVIGATOR_DB_OWNER="${NAVIGATOR_DB_OWNER:-navigator_owner}"
export NAVIGATOR_DB_APP="${NAVIGATOR_DB_APP:-navigator_app}"

psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 \
  --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-navigator}" <<'SQL'
\getenv owner NAVIGATOR_DB_OWNER
\getenv app NAVIGATOR_DB_APP
\getenv owner_password NAVIGATOR_DB_OWNER_PASSWORD
\getenv app_password NAVIGATOR_DB_APP_PASSWORD
BEGIN;

-- Roles are cluster-wide: made once, their attributes re-stated on every run.
-- The runtime role is NOINHERIT and a member of nothing: it holds only what
-- is granted to it by name (grant_runtime_role refuses it otherwise).
SELECT format('CREATE ROLE %I', name)
  FROM unnest(ARRAY[:'owner', :'app']) AS name
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
ALTER ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  NOBYPASSRLS PASSWORD :'owner_password';
ALTER ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  NOBYPASSRLS NOINHERIT PASSWORD :'app_password';

-- The owner runs migrations: it owns the database (so it may create trusted
-- extensions such as pg_trgm) and the public schema, by name rather than
-- through PostgreSQL 15's pg_database_owner. Only the runtime role may connect
-- besides; nobody else may create anything here, not even temporary tables.
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'owner') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app') \gexec
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- A database made before these roles (tables owned by the superuser): what it
-- holds moves to the owner, so migrations can alter it and nothing is left
-- that only a superuser may change. Sequences of identity and serial columns
-- follow their tables; objects of extensions stay with the extension.
SELECT format(
         'ALTER %s %s OWNER TO %I',
         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                        WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                        ELSE 'TABLE' END,
         c.oid::regclass, :'owner')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND pg_get_userbyid(c.relowner) <> :'owner'
   AND NOT EXISTS (SELECT FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
 ORDER BY c.relkind <> 'r' \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public'
   AND pg_get_userbyid(p.proowner) <> :'owner'
   AND NOT EXISTS (SELECT FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e') \gexec

COMMIT;
SQL
echo "Navigator database roles ready: ${NAVIGATOR_DB_OWNER} (owner, migrations), ${NAVIGATOR_DB_APP} (runtime)."
