"""Form shapes for the people and encounter pages.

Forms parse what was typed and present it (crispy-bootstrap5 layouts); every
rule lives in ``cases.services``, whose DomainError lands back on the named
field through ``navigator.views.apply_domain_error``.
"""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row
from django import forms
from django.db import models
from django.utils import timezone

from cases.models import (
    Concern,
    Disposition,
    DobPrecision,
    Encounter,
    EncounterSource,
    FamilyContact,
    Gender,
    Person,
    RaceEthnicity,
)
from cases.services import ENCOUNTER_FIELDS, PERSON_FIELDS
from cases.services.inputs import EncounterData, FamilyContactData, PersonData
from navigator.fields import REASON_MAX_LENGTH
from navigator.forms import (
    DATE_INPUT,
    DATETIME_INPUT,
    ProgramLocalDateTimeField,
    local_now_or,
)
from navigator.models import Program, ResponseModel, User


def _model_field(model: type[models.Model], name: str, **kwargs) -> forms.Field:
    """The form field Django derives from the model, so lengths stay in sync."""
    field = model._meta.get_field(name)
    formfield = field.formfield(**kwargs) if isinstance(field, models.Field) else None
    if formfield is None:
        # A relation's reverse side, or a field with no form counterpart.
        raise TypeError(f"{model.__name__}.{name} has no form field")
    return formfield


def _helper(layout: Layout) -> FormHelper:
    # The templates own the <form> tag and the CSRF token, so one <form> can
    # hold hand-written parts (the person picker) next to the crispy layout.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class EditTokenField(forms.CharField):
    """The ``updated_at`` the edit form was loaded with (optimistic locking)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, widget=forms.HiddenInput, **kwargs)


class ProgramChoiceField(forms.ModelChoiceField):
    """Shown only to users who work in more than one program."""

    def __init__(self, programs, **kwargs) -> None:
        kwargs.setdefault("empty_label", "Choose a program")
        super().__init__(queryset=programs, **kwargs)


class PersonForm(forms.Form):
    first_name = _model_field(Person, "first_name")
    middle_name = _model_field(Person, "middle_name")
    last_name = _model_field(Person, "last_name")
    preferred_name = _model_field(Person, "preferred_name")
    aliases = forms.CharField(
        label="Aliases / other names",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: AKAs, street names, former names.",
    )
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=DATE_INPUT
    )
    estimated_age = forms.IntegerField(
        label="or estimated age",
        required=False,
        min_value=0,
        max_value=120,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="When the date of birth is not known.",
    )
    gender = forms.MultipleChoiceField(
        choices=Gender.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply (HMIS 3.06).",
    )
    race_ethnicity = forms.MultipleChoiceField(
        label="Race and ethnicity",
        choices=RaceEthnicity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply (HMIS 3.04).",
    )
    veteran_status = _model_field(Person, "veteran_status")
    primary_language = _model_field(Person, "primary_language")
    phone = _model_field(Person, "phone", widget=forms.TextInput(attrs={"type": "tel"}))
    email = _model_field(Person, "email")
    sms_consent = _model_field(
        Person, "sms_consent", label="Agrees to receive text messages"
    )
    housing_situation = _model_field(Person, "housing_situation")
    street_address = _model_field(Person, "street_address")
    city = _model_field(Person, "city")
    state = _model_field(Person, "state")
    postal_code = _model_field(Person, "postal_code")
    location_notes = _model_field(
        Person,
        "location_notes",
        label="Last known location",
        help_text="Where to find them if not at an address.",
    )
    safety_notes = _model_field(
        Person,
        "safety_notes",
        label="Safety / response-plan notes",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    external_id = _model_field(Person, "external_id", label="External ID")

    def __init__(self, *args, programs=None, person: Person | None = None, **kw):
        if person is not None:
            kw.setdefault("initial", self.initial_for(person))
        super().__init__(*args, **kw)
        self.person = person
        if person is not None:
            self.fields["updated_at"] = EditTokenField()
        if programs is not None and len(programs) > 1 and person is None:
            self.fields["program"] = ProgramChoiceField(programs)
        self.helper = _helper(self._layout())

    def _layout(self) -> Layout:
        program = ["program"] if "program" in self.fields else []
        return Layout(
            Fieldset(
                "Name",
                *program,
                Row(Column("first_name"), Column("last_name"), css_class="g-2"),
                Row(Column("preferred_name"), Column("middle_name"), css_class="g-2"),
                "aliases",
            ),
            Fieldset(
                "Birth",
                Row(
                    Column("date_of_birth", css_class="col-7"),
                    Column("estimated_age", css_class="col-5"),
                    css_class="g-2",
                ),
            ),
            Fieldset(
                "Safety",
                "safety_notes",
            ),
            Fieldset(
                "Contact",
                Row(Column("phone"), Column("email"), css_class="g-2"),
                "sms_consent",
            ),
            Fieldset(
                "Housing and whereabouts",
                "housing_situation",
                "street_address",
                Row(
                    Column("city", css_class="col-12 col-sm-6"),
                    Column("state", css_class="col-6 col-sm-3"),
                    Column("postal_code", css_class="col-6 col-sm-3"),
                    css_class="g-2",
                ),
                "location_notes",
            ),
            Fieldset(
                "Demographics",
                Div("gender", css_class="checkbox-columns"),
                Div("race_ethnicity", css_class="checkbox-columns"),
                Row(
                    Column("veteran_status"),
                    Column("primary_language"),
                    css_class="g-2",
                ),
            ),
            Fieldset("Other systems", "external_id"),
        )

    @staticmethod
    def initial_for(person: Person) -> dict[str, Any]:
        initial = {
            name: getattr(person, name)
            for name in PERSON_FIELDS
            if name in PersonForm.base_fields
        }
        initial["aliases"] = "\n".join(a.name for a in person.aliases.all())
        initial["updated_at"] = person.updated_at.isoformat()
        if person.dob_precision == DobPrecision.ESTIMATED and person.date_of_birth:
            initial["estimated_age"] = person.age_on(timezone.localdate())
        else:
            initial["date_of_birth"] = person.date_of_birth
        return initial

    def alias_list(self) -> list[str]:
        return _lines(self.cleaned_data["aliases"])

    def program(self) -> Program | None:
        return self.cleaned_data.get("program")

    def edit_token(self) -> str | None:
        return self.cleaned_data.get("updated_at") or None

    def person_data(self) -> PersonData:
        """The ``data`` argument of person_create / person_update."""
        data: dict[str, Any] = {
            k: v
            for k, v in self.cleaned_data.items()
            if k
            not in (
                "aliases",
                "program",
                "date_of_birth",
                "estimated_age",
                "updated_at",
            )
        }
        # What a date of birth and an estimated age mean (which wins, when an
        # estimate is kept) is the person service's decision.
        data["date_of_birth"] = self.cleaned_data["date_of_birth"]
        if self.cleaned_data["estimated_age"] is not None:
            data["estimated_age"] = self.cleaned_data["estimated_age"]
        return cast(PersonData, data)


class FamilyContactForm(forms.Form):
    name = _model_field(FamilyContact, "name")
    relationship = _model_field(
        FamilyContact,
        "relationship",
        help_text="e.g. mother, partner, case manager, caregiver",
    )
    phone = _model_field(
        FamilyContact, "phone", widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = _model_field(FamilyContact, "email")
    may_contact = _model_field(
        FamilyContact, "may_contact", label="The person agreed that we may contact them"
    )
    notes = _model_field(
        FamilyContact, "notes", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, contact: FamilyContact | None = None, **kwargs):
        if contact is not None:
            kwargs.setdefault(
                "initial", {name: getattr(contact, name) for name in self.base_fields}
            )
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Layout(
                Row(Column("name"), Column("relationship"), css_class="g-2"),
                Row(Column("phone"), Column("email"), css_class="g-2"),
                "may_contact",
                "notes",
            )
        )

    def contact_data(self) -> FamilyContactData:
        """The ``data`` argument of family_contact_add / family_contact_update."""
        return cast(FamilyContactData, dict(self.cleaned_data))


class ReasonForm(forms.Form):
    """Why a record is deleted or restored (kept in the audit log)."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
        help_text="Kept with the record and in the audit log.",
    )

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        self.helper = _helper(Layout("reason"))


class NavigatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def _officer_lines(officers: list[dict]) -> str:
    # The inverse of clean_officers: "name, badge" per line.
    return "\n".join(
        f"{o.get('name', '')}, {o['badge']}" if o.get("badge") else o.get("name", "")
        for o in officers or []
    )


class EncounterForm(forms.Form):
    """One page, in the order a navigator recalls a call on scene.

    The person is chosen in a hand-written picker (search + radio list) that
    posts ``person``; it is parsed here and checked by the service.
    """

    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    unidentified_description = _model_field(
        Encounter,
        "unidentified_description",
        label="Or describe someone not yet identified",
        help_text="e.g. “male, 40s, downtown”. You can link the person later.",
    )
    started_at = ProgramLocalDateTimeField(label="Started", widget=DATETIME_INPUT)
    minutes_engaged = forms.IntegerField(
        label="Minutes engaged",
        required=False,
        min_value=0,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    location_text = _model_field(
        Encounter, "location_text", label="Location (address or description)"
    )
    latitude = _model_field(
        Encounter, "latitude", widget=forms.NumberInput(attrs={"step": "any"})
    )
    longitude = _model_field(
        Encounter, "longitude", widget=forms.NumberInput(attrs={"step": "any"})
    )
    source = forms.ChoiceField(
        choices=[("", "Choose…"), *EncounterSource.choices], label="Source"
    )
    concerns = forms.MultipleChoiceField(
        label="Presenting concerns",
        choices=Concern.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    narrative = _model_field(
        Encounter, "narrative", widget=forms.Textarea(attrs={"rows": 4})
    )
    disposition = forms.ChoiceField(
        choices=[("", "Choose…"), *Disposition.choices], label="Disposition"
    )
    diverted = _model_field(Encounter, "diverted")
    police_backup_needed = _model_field(Encounter, "police_backup_needed")
    navigators = NavigatorChoiceField(
        label="Responders (navigators)",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    officers = forms.CharField(
        label="Officers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: name, badge number.",
    )
    response_model = forms.ChoiceField(
        label="Response model",
        choices=[("", "The program's usual model"), *ResponseModel.choices],
        required=False,
    )
    cad_number = _model_field(Encounter, "cad_number")

    def __init__(
        self,
        *args,
        programs=None,
        responders=None,
        encounter: Encounter | None = None,
        time_zone: str | None = None,
        **kwargs,
    ) -> None:
        if encounter is not None:
            kwargs.setdefault("initial", self.initial_for(encounter))
            time_zone = encounter.program.time_zone
        super().__init__(*args, **kwargs)
        self.encounter = encounter
        if encounter is not None:
            self.fields["updated_at"] = EditTokenField()
        if responders is not None:
            # Declared above as a NavigatorChoiceField; ``fields`` copies it.
            cast(NavigatorChoiceField, self.fields["navigators"]).queryset = responders
        zone = time_zone or timezone.get_current_timezone_name()
        self.fields["started_at"].help_text = f"Local time, {zone}."
        if encounter is None and programs is not None and len(programs) > 1:
            self.fields["program"] = ProgramChoiceField(programs)
        self.helper = _helper(self._layout())

    def _layout(self) -> Layout:
        program = ["program"] if "program" in self.fields else []
        return Layout(
            Fieldset(
                "When and where",
                *program,
                Row(
                    Column("started_at", css_class="col-12 col-sm-8"),
                    Column("minutes_engaged", css_class="col-6 col-sm-4"),
                    css_class="g-2",
                ),
                "location_text",
                Row(
                    Column("latitude", css_class="col-6"),
                    Column("longitude", css_class="col-6"),
                    css_class="g-2",
                ),
                # Shown by navigator.js only where the browser can locate.
                HTML(
                    '<button type="button" class="btn btn-sm btn-outline-secondary '
                    'mb-3" data-geolocate hidden>Use my current location</button>'
                ),
            ),
            Fieldset(
                "What happened",
                "source",
                InlineCheckboxes("concerns"),
                "narrative",
                "disposition",
                "diverted",
                "police_backup_needed",
            ),
            Fieldset("Who responded", "navigators", "officers"),
            Fieldset(
                "Call details",
                Row(
                    Column("cad_number", css_class="col-12 col-sm-6"),
                    Column("response_model", css_class="col-12 col-sm-6"),
                    css_class="g-2",
                ),
            ),
        )

    @staticmethod
    def initial_for(encounter: Encounter) -> dict[str, Any]:
        initial = {
            name: getattr(encounter, name)
            for name in ENCOUNTER_FIELDS
            if name in EncounterForm.base_fields
        }
        initial["person"] = encounter.person_id
        initial["started_at"] = local_now_or(
            encounter.started_at, encounter.program.time_zone
        )
        initial["updated_at"] = encounter.updated_at.isoformat()
        initial["navigators"] = [u.pk for u in encounter.navigators.all()]
        initial["officers"] = _officer_lines(encounter.officers)
        return initial

    def clean_officers(self) -> list[dict[str, str]]:
        officers = []
        for line in _lines(self.cleaned_data["officers"]):
            name, _, badge = line.partition(",")
            officers.append({"name": name.strip(), "badge": badge.strip()})
        return officers

    def program(self) -> Program | None:
        return self.cleaned_data.get("program")

    def encounter_data(self) -> EncounterData:
        """The ``data`` argument of encounter_log / encounter_update.

        A blank response model is the service's to fill (the program's).
        """
        data = {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in ("person", "program", "navigators", "updated_at")
        }
        return cast(EncounterData, data)

    def edit_token(self) -> str | None:
        return self.cleaned_data.get("updated_at") or None

    def navigator_list(self) -> list[User] | None:
        # None lets the service apply its default (the logging user on a new
        # encounter, the current responders on an edit): nobody responding
        # is never what an empty list of checkboxes means.
        return list(self.cleaned_data["navigators"]) or None


class PersonPickForm(forms.Form):
    """Link an encounter logged as unidentified to a person."""

    person = forms.IntegerField(
        error_messages={"required": "Choose the person from the list."}
    )
