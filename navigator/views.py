"""Platform pages (login, error pages) and the bridge from DomainError to pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from navigator.errors import DomainError


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
            }
        )
    )


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def apply_domain_error(
    request, exc: DomainError, form: forms.Form | None = None
) -> None:
    """Show a domain error on the form field it names, or as a page message."""
    placed = False
    if form is not None:
        for field, msgs in exc.fields.items():
            target = field if field in form.fields else None
            for msg in msgs:
                form.add_error(target, msg)
            placed = True
    if not placed:
        messages.error(request, exc.detail)


def not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No RequestContext: context processors query the database, which may be
    # the very thing that failed.
    template = loader.get_template("errors/500.html")
    body = template.render({"request_id": getattr(request, "request_id", "")})
    return HttpResponseServerError(body)
