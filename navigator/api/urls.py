from django.urls import include, path, re_path

from navigator.api.views import api_not_found

urlpatterns = [
    path("", include("cases.api.urls")),
    path("", include("followups.api.urls")),
    # Last: anything else under /api/v1/ is a JSON 404, never the HTML page.
    re_path(r"^.*$", api_not_found),
]
