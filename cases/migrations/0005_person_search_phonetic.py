"""Phonetic fallback for name search (cases.phonetic): the Soundex codes of
every person's names, filled in for existing people, and on PostgreSQL a
trigram GIN index so that ``search_phonetic LIKE '% J500 %'`` does not scan
the table. SQLite gets the column and scans (its search always has).
"""

from django.db import migrations, models

# cases.phonetic is imported, not copied: the key stored must be the one the
# search computes for a query, so a later change to the key comes with a
# migration of its own that recomputes it with the code of that day.
from cases.phonetic import person_search_phonetic

BATCH = 2000


def fill(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    connection = schema_editor.connection
    people = Person.objects.using(connection.alias)
    rows = people.order_by("pk").values_list("pk", "search_text")
    batch = []
    for pk, search_text in rows.iterator(chunk_size=BATCH):
        key = person_search_phonetic(search_text)
        if key:
            batch.append((pk, key))
        if len(batch) == BATCH:
            _write(people, connection, batch)
            batch = []
    if batch:
        _write(people, connection, batch)


def _write(people, connection, batch):
    if connection.vendor != "postgresql":
        people.bulk_update(
            [people.model(pk=pk, search_phonetic=key) for pk, key in batch],
            ["search_phonetic"],
        )
        return
    # One join against two arrays: bulk_update's CASE WHEN id = ... of 2,000
    # branches is tested branch by branch for every row (17 s for 100,000
    # people here, against 4 s).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_person p SET search_phonetic = v.key "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, key) WHERE p.id = v.id",
            [[pk for pk, _ in batch], [key for _, key in batch]],
        )


def index(apps, schema_editor):
    # After the fill: building the index once beats updating it row by row.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS person_phonetic_trgm ON cases_person "
        "USING gin (search_phonetic gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS person_phonetic_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_familiar_faces'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='search_phonetic',
            field=models.TextField(blank=True, default='', editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(index, drop_index),
    ]
