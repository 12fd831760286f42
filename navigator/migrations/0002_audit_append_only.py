"""On PostgreSQL the database itself refuses UPDATE and DELETE of audit rows,
so not even a bug or a raw query can rewrite history (HIPAA §164.312(b)).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION navigator_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'navigator_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS navigator_audit_append_only ON navigator_auditevent;
CREATE TRIGGER navigator_audit_append_only
    BEFORE UPDATE OR DELETE ON navigator_auditevent
    FOR EACH ROW EXECUTE FUNCTION navigator_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS navigator_audit_append_only ON navigator_auditevent;
DROP FUNCTION IF EXISTS navigator_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("navigator", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
