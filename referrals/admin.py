"""The directory on the admin site: agencies with their services inline,
and agencies' users (read only). Every write goes through the directory's
audited services (referrals/directory/services.py), as users and programs
go through theirs (navigator/admin.py). Nothing is deleted: agencies and
services are deactivated ("active" unticked). No health record here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from navigator.admin import AdministratorOnly
from navigator.models import User
from referrals.directory import services
from referrals.directory.services import AgencyData, ServiceData
from referrals.models import (
    Agency,
    AgencyMember,
    PartnerToken,
    Service,
    WebhookEndpoint,
)
from referrals.partners.services import partner_token_revoke
from referrals.webhooks import services as webhook_services


def _agency_data(form: ModelForm) -> AgencyData:
    data = form.cleaned_data
    return AgencyData(
        **{name: data.get(name, "") for name in AgencyData.__dataclass_fields__}
    )


def _service_data(form: ModelForm) -> ServiceData:
    data = form.cleaned_data
    values = {
        name: data[name] for name in ServiceData.__dataclass_fields__ if name in data
    }
    values["categories"] = tuple(values.get("categories") or ())
    values["languages"] = tuple(values.get("languages") or ())
    return ServiceData(**values)


class ServiceInline(AdministratorOnly, admin.StackedInline):
    model = Service
    extra = 0
    can_delete = False
    fields = [
        "name",
        "description",
        "categories",
        "accepting",
        "capacity_note",
        "eligibility",
        "languages",
        "phone",
        "hours",
        "street_address",
        "city",
        "state",
        "postal_code",
        "latitude",
        "longitude",
        "is_active",
    ]


@admin.register(Agency)
class AgencyAdmin(AdministratorOnly, admin.ModelAdmin):
    inlines = [ServiceInline]
    list_display = ["name", "slug", "kind", "city", "is_part2_program", "is_active"]
    list_filter = ["kind", "is_active", "is_part2_program", "programs"]
    search_fields = ["name", "slug", "city"]
    filter_horizontal = ["programs"]
    readonly_fields = ["hsds_id"]
    fields = [
        "name",
        "slug",
        "kind",
        "description",
        "phone",
        "email",
        "website",
        "street_address",
        "city",
        "state",
        "postal_code",
        "is_part2_program",
        "programs",
        "is_active",
        "hsds_id",
    ]

    def save_model(
        self, request: HttpRequest, obj: Agency, form: ModelForm, change: bool
    ) -> None:
        by: User = request.user  # type: ignore[assignment]
        programs = list(form.cleaned_data.get("programs") or [])
        active = form.cleaned_data.get("is_active", True)
        if change:
            agency = services.agency_update(
                by=by, agency=obj, data=_agency_data(form), programs=programs
            )
        else:
            agency = services.agency_create(
                by=by, data=_agency_data(form), programs=programs
            )
        services.agency_set_active(by=by, agency=agency, active=active)
        obj.pk = agency.pk
        obj.refresh_from_db()

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        # The programs were set by the service (audited), not by form.save_m2m.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm,
        formset: BaseInlineFormSet,
        change: bool,
    ) -> None:
        by: User = request.user  # type: ignore[assignment]
        agency: Agency = form.instance
        for service_form in formset.forms:
            if not service_form.has_changed() or not service_form.is_valid():
                continue
            service: Service = service_form.instance
            active = service_form.cleaned_data.get("is_active", True)
            if service.pk is None:
                service = services.service_create(
                    by=by, agency=agency, data=_service_data(service_form)
                )
            else:
                service = services.service_update(
                    by=by, service=service, data=_service_data(service_form)
                )
            services.service_set_active(by=by, service=service, active=active)


@admin.register(AgencyMember)
class AgencyMemberAdmin(AdministratorOnly, admin.ModelAdmin):
    """Who acts for an agency. Read only here until partner accounts get
    their audited services (the partner issue)."""

    list_display = ["user", "agency", "is_active", "is_service_account", "created_at"]
    list_filter = ["is_active", "agency"]
    list_select_related = ["user", "agency"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Outbound webhooks (issue 10) ---------------------------------------------


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AdministratorOnly, admin.ModelAdmin):
    """An agency's webhook endpoint. Saved through the audited service
    (https only; a new endpoint's secret is shown once, in the message);
    the secret itself is never a field here. "Rotate secret" is an action."""

    list_display = ["agency", "url", "is_active", "updated_at"]
    list_filter = ["is_active"]
    list_select_related = ["agency"]
    fields = ["agency", "url", "is_active", "previous_secret_until"]
    readonly_fields = ["previous_secret_until"]
    actions = ["rotate_secret"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["agency", *self.readonly_fields] if obj else list(self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: ModelForm, change: bool
    ) -> None:
        by: User = request.user  # type: ignore[assignment]
        endpoint, secret = webhook_services.webhook_endpoint_save(
            by=by,
            agency=obj.agency,
            url=form.cleaned_data["url"],
            is_active=form.cleaned_data.get("is_active", True),
        )
        obj.pk = endpoint.pk
        obj.refresh_from_db()
        if secret:
            messages.warning(request, f"Signing secret, shown this once: {secret}")

    @admin.action(description="Rotate the signing secret")
    def rotate_secret(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> None:
        by: User = request.user  # type: ignore[assignment]
        for endpoint in queryset.select_related("agency"):
            secret = webhook_services.webhook_secret_rotate(
                by=by, agency=endpoint.agency
            )
            messages.warning(
                request,
                f"New secret for {endpoint.agency.name}, shown this once: {secret}",
            )


PARTNER_TOKEN_FIELDS: list[str] = [
    "name",
    "agency",
    "key_prefix",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
]


@admin.action(description="Revoke partner tokens (audited)")
def revoke_partner_tokens(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[PartnerToken]
) -> None:
    revoked = 0
    for token in queryset.filter(revoked_at__isnull=True):
        partner_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
        revoked += 1
    modeladmin.message_user(
        request, f"{revoked} partner token(s) revoked.", messages.SUCCESS
    )


@admin.register(PartnerToken)
class PartnerTokenAdmin(AdministratorOnly, admin.ModelAdmin):
    """Partner agencies' tokens: listed and revoked here (through the audited
    service); created with ``create_partner_token`` or on the agency's token
    page (the key is shown once). Only a hash is stored, and it is not shown."""

    list_display = [
        "name",
        "agency",
        "key_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "agency"]
    list_select_related = ["agency"]
    search_fields = ["name", "key_prefix", "agency__name", "agency__slug"]
    fields = list(PARTNER_TOKEN_FIELDS)
    readonly_fields = PARTNER_TOKEN_FIELDS
    actions = [revoke_partner_tokens]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
