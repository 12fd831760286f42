from django.contrib import admin
from django.urls import include, path

from navigator import views  # noqa: F401  (handler404 / handler500 below)
from navigator.api.docs import SchemaView, SwaggerView
from navigator.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Sign-in and the user's own account (navigator/accounts), then allauth's
    # pages: password change and reset, MFA (2fa/), the sessions list.
    path("accounts/", include("navigator.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("accounts/sessions/", include("allauth.usersessions.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("navigator.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Pages. The project's URLconf is where features meet: the workspace
    # (Today, the person page, logging an encounter) and familiar faces sit
    # above the core pages, and are included here by name, never imported by
    # the apps below them (docs/decisions/0010-layers.md).
    # The managers' referral conversion report (before any other
    # referrals/ pages, whose patterns it must not fall into).
    path("referrals/report/", include("referrals.report_urls")),
    # A partner agency's user's pages (issue 10): their agency, its tokens.
    path("partner/", include("referrals.partners.urls")),
    path("", include("cases.workspace.urls")),
    path("familiar-faces/", include("cases.familiar.urls")),
    path("referrals/settings/", include("referrals.settings_urls")),
    path("referrals/webhooks/", include("referrals.webhooks.urls")),
    path("directory/", include("referrals.directory.urls")),
    path("referrals/", include("referrals.urls")),
    path("", include("cases.consents.urls")),
    path("referrals/", include("referrals.attachment_urls")),
    path("", include("followups.urls")),
    path("", include("cases.urls")),
]

handler404 = "navigator.views.not_found"
handler500 = "navigator.views.server_error"
