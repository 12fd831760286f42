"""Every existing program without a familiar-faces rule gets the default one.

Until issue 8 the rules page wrote it on a GET (a read that writes); now the
evaluation does (``cases.familiar.services.rules_ensure_default``), and this
gives the programs that already exist theirs, audited as the system's like
that service. The values are written out here: a migration must not change
when the code's default does.
"""

from django.db import migrations

DEFAULT_RULE = {"name": "4 contacts in 90 days", "min_encounters": 4, "window_days": 90}
RULE_FIELDS = (
    "name",
    "min_encounters",
    "window_days",
    "sources",
    "concerns",
    "dispositions",
    "is_active",
)


def add_default_rules(apps, schema_editor):
    Program = apps.get_model("navigator", "Program")
    Rule = apps.get_model("cases", "FamiliarFacesRule")
    AuditEvent = apps.get_model("navigator", "AuditEvent")
    for program in Program.objects.filter(familiar_faces_rules__isnull=True):
        rule = Rule.objects.create(program=program, **DEFAULT_RULE)
        AuditEvent.objects.create(
            actor=None,
            action="create",
            object_type="cases.familiarfacesrule",
            object_id=str(rule.pk),
            person_id=None,
            program_id=program.pk,
            changes={name: [None, getattr(rule, name)] for name in RULE_FIELDS},
            reason="the default rule of a program without one",
            source="command",
            endpoint="migrate",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_merge_indexes_and_text_limits"),
        ("navigator", "0008_merge_disclosure"),
    ]

    # Nothing to undo: the rules stay, as rules a manager added would.
    operations = [migrations.RunPython(add_default_rules, migrations.RunPython.noop)]
