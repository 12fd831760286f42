"""The admin site and signing in.

- Its sign-in page is Navigator's (one form, one throttle, MFA).
- Failed sign-ins are shown read-only; an administrator clears a user's
  lockout, or resets a lost second factor, with an action on the user
  (navigator/admin.py), which goes through an audited service. Nothing here
  can delete attempt records or authenticators behind the audit log's back.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse

from navigator.accounts import services
from navigator.accounts.selectors import login_lockout_for, mfa_types_for
from navigator.accounts.views import admin_login
from navigator.errors import DomainError
from navigator.selectors import is_administrator

admin.site.login = admin_login  # type: ignore[method-assign]

# allauth's own admin pages would show factor secrets and delete factors or
# sessions without an audit event; the user's page shows them instead.
for _model in (Authenticator, UserSession):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    # Administrators only (the site asks the same selector, navigator/admin.py).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(user=request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_administrator(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ReadOnlyAdmin):
    list_display = [
        "attempt_time",
        "username",
        "ip_address",
        "failures_since_start",
        "path_info",
    ]
    list_filter = ["attempt_time", "path_info"]
    search_fields = ["username", "ip_address"]
    exclude = ["get_data", "post_data"]


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(ReadOnlyAdmin):
    list_display = ["attempt_time", "username", "ip_address", "locked_out"]
    list_filter = ["attempt_time", "locked_out"]
    search_fields = ["username", "ip_address"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["attempt_time", "logout_time", "username", "ip_address"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    exclude = ["session_hash"]


# --- On the user (used by navigator/admin.py's UserAdmin) --------------------


@admin.display(description="Sign-in lockout")
def login_lockout_display(user) -> str:
    if user.pk is None:
        return "—"
    state = login_lockout_for(user=user)
    if state.locked:
        return f"Locked: {state.failures} failed sign-ins (use the action to unlock)"
    if state.failures:
        return f"Not locked; {state.failures} recent failed sign-ins"
    return "Not locked"


@admin.display(description="Second factors")
def mfa_display(user) -> str:
    if user.pk is None:
        return "—"
    return ", ".join(mfa_types_for(user=user)) or "None"


@admin.action(description="Clear sign-in lockout (audited)")
def clear_login_lockout(modeladmin, request, queryset) -> None:
    for user in queryset:
        try:
            cleared = services.login_lockout_clear(by=request.user, user=user)
        except DomainError as exc:
            modeladmin.message_user(request, exc.detail, messages.ERROR)
            return
        modeladmin.message_user(
            request,
            f"{user.get_username()}: sign-in lockout cleared "
            f"({cleared} recent failures).",
            messages.SUCCESS,
        )


class MFAResetForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        help_text="Why (e.g. 'phone lost, ticket 1234'); kept in the audit log.",
    )


@admin.action(description="Reset second factors (lost phone or key; audited)")
def reset_mfa(modeladmin, request, queryset):
    form = MFAResetForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        # Django's intermediate-page pattern: ask for the reason first.
        return TemplateResponse(
            request,
            "admin/navigator/user/reset_mfa.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": "Reset second factors",
                "users": queryset,
                "form": form,
                "opts": modeladmin.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
    for user in queryset:
        try:
            removed = services.mfa_reset(
                by=request.user, user=user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            modeladmin.message_user(request, exc.detail, messages.ERROR)
            return None
        modeladmin.message_user(
            request,
            f"{user.get_username()}: removed {', '.join(removed) or 'nothing'}; "
            "their sessions were ended.",
            messages.SUCCESS,
        )
    return None
