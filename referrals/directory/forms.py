"""Forms of the directory's pages: shapes only; the rules are the services'."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.db.models import QuerySet

from navigator.fields import REASON_MAX_LENGTH
from navigator.models import Program
from referrals.directory.services import AgencyData, ServiceData
from referrals.models import Accepting, Agency, AgencyKind, Service, ServiceCategory


def _helper(*fields: object) -> FormHelper:
    # The templates own the <form> tag and the CSRF token.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if fields:
        helper.layout = Layout(*fields)
    return helper


def _max(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


class AgencyForm(forms.Form):
    name = forms.CharField(max_length=_max(Agency, "name"))
    slug = forms.SlugField(
        max_length=_max(Agency, "slug"),
        required=False,
        help_text="Its short name in links and the API. Empty: made from the name.",
    )
    kind = forms.ChoiceField(choices=AgencyKind.choices)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=_max(Agency, "description"),
    )
    phone = forms.CharField(max_length=_max(Agency, "phone"), required=False)
    email = forms.EmailField(max_length=254, required=False)
    website = forms.URLField(max_length=200, required=False, assume_scheme="https")
    street_address = forms.CharField(
        max_length=_max(Agency, "street_address"), required=False
    )
    city = forms.CharField(max_length=_max(Agency, "city"), required=False)
    state = forms.CharField(max_length=_max(Agency, "state"), required=False)
    postal_code = forms.CharField(
        max_length=_max(Agency, "postal_code"), required=False
    )
    is_part2_program = forms.BooleanField(
        label="42 CFR Part 2 program",
        required=False,
        help_text="A federally assisted substance-use program (42 CFR §2.11): "
        "substance-use referrals to it need a Part 2 consent.",
    )
    programs = forms.ModelMultipleChoiceField(
        queryset=Program.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The programs that refer people to it.",
    )

    def __init__(
        self, *args, programs: QuerySet[Program], agency: Agency | None = None, **kwargs
    ) -> None:
        if agency is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{
                    name: getattr(agency, name)
                    for name in AgencyData.__dataclass_fields__
                },
                "programs": list(agency.programs.all()),
            }
        super().__init__(*args, **kwargs)
        self.fields["programs"].queryset = programs  # type: ignore[attr-defined]
        self.helper = _helper(
            "name",
            Row(
                Column("kind", css_class="col-sm-6"),
                Column("slug", css_class="col-sm-6"),
            ),
            "description",
            Row(
                Column("phone", css_class="col-sm-6"),
                Column("email", css_class="col-sm-6"),
            ),
            "website",
            "street_address",
            Row(
                Column("city", css_class="col-sm-6"),
                Column("state", css_class="col-6 col-sm-3"),
                Column("postal_code", css_class="col-6 col-sm-3"),
            ),
            "is_part2_program",
            "programs",
        )

    def agency_data(self) -> AgencyData:
        data = self.cleaned_data
        return AgencyData(
            **{name: data[name] for name in AgencyData.__dataclass_fields__}
        )

    def chosen_programs(self) -> list[Program]:
        return list(self.cleaned_data["programs"])


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=_max(Service, "name"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=_max(Service, "description"),
    )
    categories = forms.MultipleChoiceField(
        choices=ServiceCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    accepting = forms.ChoiceField(choices=Accepting.choices, label="New clients")
    capacity_note = forms.CharField(
        max_length=_max(Service, "capacity_note"),
        required=False,
        help_text="E.g. “3 beds free tonight”, “2-week wait”.",
    )
    eligibility = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=_max(Service, "eligibility"),
    )
    languages = forms.CharField(
        required=False,
        max_length=500,
        help_text="Separated by commas, e.g. English, Spanish.",
    )
    phone = forms.CharField(max_length=_max(Service, "phone"), required=False)
    hours = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=_max(Service, "hours"),
    )
    street_address = forms.CharField(
        max_length=_max(Service, "street_address"), required=False
    )
    city = forms.CharField(max_length=_max(Service, "city"), required=False)
    state = forms.CharField(max_length=_max(Service, "state"), required=False)
    postal_code = forms.CharField(
        max_length=_max(Service, "postal_code"), required=False
    )
    latitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = forms.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )

    def __init__(self, *args, service: Service | None = None, **kwargs) -> None:
        if service is not None and "initial" not in kwargs:
            initial = {
                name: getattr(service, name)
                for name in ServiceData.__dataclass_fields__
            }
            initial["languages"] = ", ".join(service.languages)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "name",
            "description",
            "categories",
            Row(
                Column("accepting", css_class="col-sm-6"),
                Column("capacity_note", css_class="col-sm-6"),
            ),
            "eligibility",
            Row(
                Column("languages", css_class="col-sm-6"),
                Column("phone", css_class="col-sm-6"),
            ),
            "hours",
            "street_address",
            Row(
                Column("city", css_class="col-sm-6"),
                Column("state", css_class="col-6 col-sm-3"),
                Column("postal_code", css_class="col-6 col-sm-3"),
            ),
            Row(
                Column("latitude", css_class="col-6"),
                Column("longitude", css_class="col-6"),
            ),
        )

    def service_data(self) -> ServiceData:
        data = dict(self.cleaned_data)
        data["categories"] = tuple(data["categories"])
        data["languages"] = tuple(
            part.strip() for part in data["languages"].split(",") if part.strip()
        )
        return ServiceData(
            **{name: data[name] for name in ServiceData.__dataclass_fields__}
        )


class ActiveForm(forms.Form):
    reason = forms.CharField(
        label="Why (optional)",
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit log.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
