"""The admin site: accounts with their roles per program, programs and their
settings, API tokens. Never a health record (DESIGN.md: the admin has "no
standing access to health data"; tests/navigator/test_admin_site.py holds the
list of what may be registered). Sign-in actions and records:
navigator/accounts/admin.py.

- Who may use it: ``navigator.selectors.is_administrator`` (the admin role,
  or a superuser), asked for the site and for every page and action on it.
  Django's ``is_staff`` flag and its per-model permissions are not used.
- Every write goes through an audited service (navigator/services.py,
  navigator/accounts/services.py), in the admin's transaction. Nothing is
  deleted: accounts and roles are deactivated, tokens revoked.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from navigator import services
from navigator.accounts import services as account_services
from navigator.accounts.admin import (
    clear_login_lockout,
    login_lockout_display,
    mfa_display,
    reset_mfa,
)
from navigator.errors import DomainError
from navigator.models import ApiToken, Membership, Program, User
from navigator.selectors import account_administration_allowed, is_administrator


def _site_permission(request: HttpRequest) -> bool:
    return is_administrator(user=request.user)


# The site's own door (its index, and every page through admin_view). Set on
# the default site, as its login view is (navigator/accounts/admin.py).
admin.site.has_permission = _site_permission  # type: ignore[method-assign]

# Groups and per-model permissions are not Navigator's roles (memberships
# are); allauth's e-mail addresses would change an account without an audit
# event (the address is edited on the account instead).
for _model in (Group, EmailAddress):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class AdministratorOnly:
    """Every page and action of a model for administrators, none for anyone
    else; nothing deleted; a refused write shown as a message, not a 500."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _site_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _site_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _site_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _site_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        except DomainError as exc:
            # The admin's transaction was rolled back: nothing was saved.
            messages.error(request, exc.detail)
            return HttpResponseRedirect(request.get_full_path())

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm,
        formset: BaseInlineFormSet,
        change: bool,
    ) -> None:
        # Inlines hold only memberships (no deletions: can_delete is off).
        for membership in formset.save(commit=False):
            services.membership_save(by=request.user, membership=membership)  # type: ignore[arg-type]


class MembershipInline(AdministratorOnly, admin.TabularInline):
    """A user's roles, one per program and role; taken away by unticking
    "active" (kept, so the audit log can name it)."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ["program", "role", "is_active"]
    verbose_name = "role in a program"
    verbose_name_plural = "roles in programs"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        # Each row is titled by the membership's str(): its user and program.
        return super().get_queryset(request).select_related("user", "program")


class ProgramMembershipInline(MembershipInline):
    """The program's members: their role and whether it is active. A
    membership stays with its account (a new one is added below)."""

    fields = ["user", "role", "is_active"]
    readonly_fields = ["user"]
    verbose_name = "member"
    verbose_name_plural = "members"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


class ProgramNewMemberInline(MembershipInline):
    """Give an account a role in this program. The account is found as the
    administrator types (a list of every account would load them all)."""

    fields = ["user", "role", "is_active"]
    autocomplete_fields = ["user"]
    verbose_name = "new member"
    verbose_name_plural = "add members"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).none()


@admin.action(description="Deactivate accounts (audited; they keep their records)")
def deactivate_users(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    for user in queryset:
        try:
            with transaction.atomic():
                changed = account_services.user_deactivate(
                    by=request.user,  # type: ignore[arg-type]
                    user=user,
                )
        except DomainError as exc:
            modeladmin.message_user(
                request, f"{user.get_username()}: {exc.detail}", messages.ERROR
            )
            continue
        modeladmin.message_user(
            request,
            f"{user.get_username()}: "
            + ("deactivated." if changed else "was already inactive."),
            messages.SUCCESS,
        )


@admin.register(User)
class UserAdmin(AdministratorOnly, DjangoUserAdmin):
    inlines = [MembershipInline]
    actions = [deactivate_users, clear_login_lockout, reset_mfa]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    list_filter = ["is_active", "memberships__role", "memberships__program"]
    readonly_fields = ["sign_in_lockout", "second_factors", "last_login", "date_joined"]
    # By name (the admin finds them here), with their labels.
    sign_in_lockout = staticmethod(login_lockout_display)
    second_factors = staticmethod(mfa_display)
    # No staff / superuser flags, groups or model permissions: an account's
    # powers are its roles (the inline), so an administrator cannot grant
    # more than a role gives.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Status",
            {
                "fields": ("is_active",),
                "description": "An inactive account cannot sign in or use its "
                "API tokens; its records are kept.",
            },
        ),
        ("Sign-in", {"fields": ("sign_in_lockout", "second_factors")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser's account (and so its password) only for a superuser:
        # the services' rule (navigator.selectors), asked here for the page.
        if obj is not None and not account_administration_allowed(
            user=request.user, account=obj
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm, change: bool
    ) -> None:
        by: User = request.user  # type: ignore[assignment]
        if change:
            account_services.user_update(by=by, user=obj)
        else:
            account_services.user_create(by=by, user=obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Django's view saves the password itself; the audit event goes into
        # the same transaction, when the stored hash did change.
        with transaction.atomic():
            before = User.objects.filter(pk=unquote(id)).values_list(
                "password", flat=True
            )
            old = next(iter(before), None)
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=unquote(id)).first()
            if user is not None and old is not None and user.password != old:
                account_services.user_password_changed(
                    by=request.user,  # type: ignore[arg-type]
                    user=user,
                )
        return response


@admin.register(Program)
class ProgramAdmin(AdministratorOnly, admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "require_mfa", "session_idle_minutes"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProgramMembershipInline, ProgramNewMemberInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "jurisdictions", "response_model")}),
        ("Time", {"fields": ("time_zone",)}),
        ("Sign-in", {"fields": ("require_mfa", "session_idle_minutes")}),
    )

    def save_model(
        self, request: HttpRequest, obj: Program, form: ModelForm, change: bool
    ) -> None:
        services.program_save(by=request.user, program=obj)  # type: ignore[arg-type]


@admin.action(description="Revoke API tokens (audited)")
def revoke_api_tokens(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ApiToken]
) -> None:
    revoked = 0
    for token in queryset.filter(revoked_at__isnull=True):
        services.api_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
        revoked += 1
    modeladmin.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(AdministratorOnly, admin.ModelAdmin):
    """Tokens are listed and revoked here; created by their owner or with
    ``create_api_token`` (the key is shown once). Only a hash is stored, and
    it is not shown."""

    list_display = [
        "name",
        "user",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "key_prefix", "user__username"]
    fields = ["name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "user", "key_prefix", "created_at", "last_used_at"]
    readonly_fields += ["revoked_at"]
    actions = [revoke_api_tokens]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
