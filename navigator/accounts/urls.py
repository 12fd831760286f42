"""Under /accounts/, before allauth's own URLs (navigator/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from navigator.accounts import views
from navigator.views import not_found

urlpatterns = [
    path("", views.account, name="account"),
    # Stable interface: /accounts/login/ and /accounts/logout/ with these names.
    path("login/", views.LoginView.as_view(), name="login"),
    # Django's view: POST only (a GET could come from a prefetch or an img).
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Email addresses are set by administrators (password reset goes there).
    path("email/", not_found, name="account-email"),
]
