"""The admin site: users with their memberships, programs. Never a health
record (DESIGN.md). Sign-in actions and records: navigator/accounts/admin.py."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from navigator.accounts.admin import (
    clear_login_lockout,
    login_lockout_display,
    mfa_display,
    reset_mfa,
)
from navigator.models import Membership, Program, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    actions = [clear_login_lockout, reset_mfa]
    readonly_fields = [login_lockout_display, mfa_display]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Sign-in", {"fields": (login_lockout_display, mfa_display)}),
    )


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "require_mfa", "session_idle_minutes"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = (
        (None, {"fields": ("name", "slug", "jurisdictions", "response_model")}),
        ("Time", {"fields": ("time_zone",)}),
        ("Sign-in", {"fields": ("require_mfa", "session_idle_minutes")}),
    )
