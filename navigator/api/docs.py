"""The OpenAPI schema and its Swagger UI, for signed-in users and tokens only.

The schema describes every endpoint and field of people's records: no secret,
but a map an attacker need not be handed (issue 7). Anonymous callers get the
API's JSON 401 for the schema, and the login page for the docs page.

The docs page is drf-spectacular's "split" Swagger view: its start-up script
comes from this same URL (``?script``) instead of an inline <script>, so the
page runs under the site's Content-Security-Policy unchanged.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer


class SchemaView(SpectacularAPIView):
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc):
        # Errors in the API's JSON shape, whatever format the schema was
        # asked for (its own renderers are YAML and OpenAPI JSON).
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    # A page for people: checked in get(), so anonymous visitors are sent to
    # the login page rather than shown a JSON 401.
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().get(request, *args, **kwargs)
