from django.core.management.base import BaseCommand

from referrals import sweeps


class Command(BaseCommand):
    help = (
        "Run one referral sweep now, in this process: expire idle referrals, "
        "send the no-response notices and escalations due. Safe beside running "
        "workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, batch_size=None, **options):
        stats = sweeps.sweep(batch_size=batch_size, max_batches=10_000)
        self.stdout.write(
            f"send_referral_notices: expired {stats['expired']}, "
            f"no-response notices {stats['no_response']}, "
            f"escalations {stats['escalated']}, failed {stats['failed']}"
        )
