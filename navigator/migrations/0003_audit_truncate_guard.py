"""On PostgreSQL the audit log cannot be emptied either: a statement-level
trigger refuses TRUNCATE, which skips the row trigger of 0002 (also when the
table is reached through ``TRUNCATE ... CASCADE``). Both triggers are ENABLE
ALWAYS, so ``SET session_replication_role = replica`` does not silence them
even for a superuser. HIPAA §164.312(b).

The other half is privileges: the application runs as a role that may only
SELECT and INSERT here (``grant_runtime_role``; docs/decisions/0005). A
migration that ever re-creates this table must keep these triggers, and the
deployment's ``grant_runtime_role`` after migrate re-states its grants.
"""

from django.db import migrations

CREATE = """
DROP TRIGGER IF EXISTS navigator_audit_no_truncate ON navigator_auditevent;
CREATE TRIGGER navigator_audit_no_truncate
    BEFORE TRUNCATE ON navigator_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION navigator_audit_append_only();
ALTER TABLE navigator_auditevent ENABLE ALWAYS TRIGGER navigator_audit_no_truncate;
ALTER TABLE navigator_auditevent ENABLE ALWAYS TRIGGER navigator_audit_append_only;
"""
DROP = """
ALTER TABLE navigator_auditevent ENABLE TRIGGER navigator_audit_append_only;
DROP TRIGGER IF EXISTS navigator_audit_no_truncate ON navigator_auditevent;
"""


def forwards(apps, schema_editor):
    # SQLite has no TRUNCATE; the model's Python guard is all it gets.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("navigator", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
