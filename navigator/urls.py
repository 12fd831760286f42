from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from navigator import views
from navigator.api.docs import SchemaView, SwaggerView
from navigator.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("navigator.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("followups.urls")),
    path("", include("cases.urls")),
]

handler404 = "navigator.views.not_found"
handler500 = "navigator.views.server_error"
