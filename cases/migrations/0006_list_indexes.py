"""Indexes that keep a list's cost to its page (docs/decisions/0008).

The encounter lists and their bounded count read the live encounters of a
program newest first from one partial index, which replaces
``encounter_program_at`` (every query that used it asks for live encounters
only); ``person_deleted`` finds the few soft-deleted people that
``cases.selectors.deleted_people`` excludes; the familiar-faces list reads
its flags most contacts first; Today finds a navigator's on-scene
encounters in ``encounter_navigators_user_encounter``. Plain CREATE INDEX:
a few seconds at 1,000,000 encounters, while writes to the tables wait.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_person_search_phonetic"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="encounter",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["program", "-started_at", "person", "created_by", "id"],
                name="encounter_live_program_at",
            ),
        ),
        migrations.RemoveIndex(
            model_name="encounter",
            name="encounter_program_at",
        ),
        migrations.AddIndex(
            model_name="familiarfaceflag",
            index=models.Index(
                fields=["program", "status", "-encounter_count"],
                name="familiar_flag_program_count",
            ),
        ),
        migrations.RemoveIndex(
            model_name="familiarfaceflag",
            name="familiar_flag_program_status",
        ),
        # Today's "with me on scene": a user's encounters from the index alone
        # (the table is Django's own for the many-to-many, so plain SQL).
        migrations.RunSQL(
            "CREATE INDEX encounter_navigators_user_encounter "
            "ON cases_encounter_navigators (user_id, encounter_id)",
            "DROP INDEX IF EXISTS encounter_navigators_user_encounter",
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", False)),
                fields=["id"],
                name="person_deleted",
            ),
        ),
    ]
