"""Indexes for the follow-up and delivery lists (docs/decisions/0008): every
follow-up of a program in due order (the API list), deliveries newest first,
and the failed ones the deliveries page counts. Without them each page
sorted, or counted, the whole table: 290 ms and 330 ms for a page of 25 at
300,000 follow-ups and deliveries, against 0.2 ms."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["-created_at", "-id"], name="delivery_newest"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("status", "failed")),
                fields=["reminder"],
                name="delivery_failed",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["program", "due_at", "id"], name="followup_program_due"
            ),
        ),
    ]
