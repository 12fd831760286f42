from django.urls import include, path, re_path

from navigator.api.views import api_not_found

urlpatterns = [
    path("", include("cases.api.urls")),
    path("", include("cases.familiar.api_urls")),
    path("", include("cases.consents.api_urls")),
    path("", include("followups.api.urls")),
    path("", include("referrals.directory.api_urls")),
    path("", include("referrals.api.urls")),
    # Last: anything else under /api/v1/ is a JSON 404, never the HTML page.
    # [\s\S], not ".": a "." stops at a newline, and /api/v1/people/%0A fell
    # through to the HTML 404.
    re_path(r"^[\s\S]*$", api_not_found),
]
