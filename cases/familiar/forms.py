"""Form shapes for the familiar-faces pages.

Forms parse what was typed; every rule lives in ``cases.familiar.services``,
whose DomainError lands back on the named field through
``navigator.views.apply_domain_error``.
"""

from __future__ import annotations

import datetime
import re
from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.db.models import QuerySet

from cases.models import (
    Concern,
    Disposition,
    EncounterSource,
    FamiliarFaceEnrollment,
    FamiliarFacesRule,
)
from navigator.fields import REASON_MAX_LENGTH
from navigator.models import Program, User

# The longest window a rule takes (FamiliarFacesRule.window_days).
MAX_DAYS = 3 * 366


def _helper(layout: Layout) -> FormHelper:
    # The templates own the <form> tag and the CSRF token.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class EnrollForm(forms.Form):
    navigator = StaffChoiceField(
        queryset=User.objects.none(),
        label="Assigned navigator",
        empty_label="Choose…",
    )
    plan = FamiliarFaceEnrollment._meta.get_field("plan").formfield(
        label="Plan",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What intensive follow-up means for this person: goals, "
        "how often to reach out, who else is involved.",
    )

    def __init__(self, *args, navigators: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Declared above as a StaffChoiceField; ``fields`` copies the declared.
        cast(StaffChoiceField, self.fields["navigator"]).queryset = navigators
        self.helper = _helper(Layout("navigator", "plan"))


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="Why take this person off the list?",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the flag and in the audit log. The person will not "
        "come back on the list until they have new contacts.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout("reason"))


class EndEnrollmentForm(forms.Form):
    reason = forms.CharField(
        label="Why does the enrollment end?",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the enrollment and in the audit log.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Layout("reason"))


RULE_FIELDS = (
    "name",
    "min_encounters",
    "window_days",
    "sources",
    "concerns",
    "dispositions",
    "is_active",
)


class RuleForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none())
    name = forms.CharField(
        max_length=FamiliarFacesRule._meta.get_field("name").max_length,
        required=False,
        help_text="Optional; by default the rule describes itself.",
    )
    min_encounters = forms.IntegerField(
        label="At least this many encounters", min_value=2, max_value=1000
    )
    window_days = forms.IntegerField(
        label="Within this many days", min_value=1, max_value=MAX_DAYS
    )
    sources = forms.MultipleChoiceField(
        label="Only encounters from these sources",
        choices=EncounterSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any source.",
    )
    concerns = forms.MultipleChoiceField(
        label="Only encounters with any of these concerns",
        choices=Concern.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any concern.",
    )
    dispositions = forms.MultipleChoiceField(
        label="Only encounters with these dispositions",
        choices=Disposition.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any disposition.",
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Turning a rule off takes the people it flagged off the list "
        "(kept in their history).",
    )

    def __init__(
        self,
        *args,
        programs: QuerySet[Program] | None = None,
        rule: FamiliarFacesRule | None = None,
        **kwargs,
    ) -> None:
        if rule is not None:
            kwargs.setdefault(
                "initial", {name: getattr(rule, name) for name in RULE_FIELDS}
            )
        super().__init__(*args, **kwargs)
        # The program is chosen once, on creation, and only among several.
        programs_list = list(programs) if programs is not None else []
        self._program: Program | None = None
        if rule is not None or len(programs_list) <= 1:
            del self.fields["program"]
            if rule is not None:
                self._program = rule.program
            elif programs_list:
                self._program = programs_list[0]
        else:
            # Declared above as a ModelChoiceField; ``fields`` copies the declared.
            cast(forms.ModelChoiceField, self.fields["program"]).queryset = programs
        layout = ["program"] if "program" in self.fields else []
        layout += [
            "name",
            Row(
                Column("min_encounters", css_class="col-6"),
                Column("window_days", css_class="col-6"),
            ),
            "sources",
            "concerns",
            "dispositions",
            "is_active",
        ]
        self.helper = _helper(Layout(*layout))

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean()
        if "program" not in self.fields and self._program is None:
            # No program to add a rule to (none managed): said on the form,
            # not a service call with no program.
            raise forms.ValidationError("There is no program to add a rule to.")
        return cleaned

    def chosen_program(self) -> Program:
        """The program of the rule; only after ``is_valid()``, whose
        ``clean`` makes sure there is one."""
        program: Program | None = self.cleaned_data.get("program") or self._program
        if program is None:
            raise ValueError("chosen_program() needs a valid form")
        return program

    def rule_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in RULE_FIELDS}


class OutcomesForm(forms.Form):
    days = forms.IntegerField(
        label="Days before and after enrollment",
        min_value=1,
        max_value=MAX_DAYS,
        required=False,
    )


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.Field):
    """``YYYY-MM`` as an ``<input type="month">`` sends it; the first day."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})
    default_error_messages = {"invalid": "Give a month as YYYY-MM, e.g. 2026-03."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        match = _MONTH.match(str(value).strip())
        try:
            if match is None:
                raise ValueError
            month = datetime.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None
        if not 2000 <= month.year <= 2100:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, datetime.date) else value


class MonthForm(forms.Form):
    month = MonthField(label="Month", required=False)
