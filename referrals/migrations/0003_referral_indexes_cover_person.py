"""The board's and the list's indexes carry each referral's person, so that
a page's bounded count (10,001 rows; deleted people's referrals left out by
``person_id``) is an index-only scan: at 120,000 referrals in a program,
16 ms → 2 ms for the board's open ones, 6 ms → 2 ms for the whole list
(docs/performance.md, "Referrals"). ``referral_board`` also gains ``-id`` so
that a status filter's page is read in the list's own order."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0002_referral_recent"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="referral", name="referral_board"),
        migrations.RemoveIndex(model_name="referral", name="referral_recent"),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["program", "status", "-created_at", "-id"],
                include=("person",),
                name="referral_board",
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["program", "-created_at", "-id"],
                include=("person",),
                name="referral_recent",
            ),
        ),
    ]
