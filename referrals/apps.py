from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        # A revoked consent tells the agencies relying on it (webhooks),
        # in the revocation's transaction; cases.consents cannot import us
        # (docs/decisions/0010-layers.md), so it calls what we register.
        from cases.consents.hooks import register_on_revoked
        from referrals.webhooks.events import consent_withdrawn

        register_on_revoked(consent_withdrawn)
