from django.core.management.base import BaseCommand

from followups import reminders


class Command(BaseCommand):
    help = (
        "Run one reminder sweep now: plan digests and escalations, then claim and "
        "send every due reminder in this process. Safe beside running workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, batch_size=None, **options):
        planned = reminders.plan_periodic()
        stats = reminders.sweep(batch_size=batch_size, max_batches=10_000)
        self.stdout.write(
            f"send_due_reminders: planned {planned['digests']} digests, "
            f"{planned['escalations']} escalations; claimed {stats['claimed']}, "
            f"sent {stats['sent']}, other {stats['other']}"
        )
