"""The managers' referral conversion page and its CSV export
(``/referrals/report/``)."""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from navigator.csvsafe import csv_cell
from navigator.errors import DomainError
from navigator.filters import IsoDateField
from navigator.forms import DATE_INPUT
from navigator.http import AuthedRequest
from navigator.models import Program
from navigator.selectors import managed_program_list_for, program_access
from navigator.views import apply_domain_error
from referrals.reports import ConversionRow, referral_conversion
from referrals.services.reports import referral_conversion_export

DEFAULT_DAYS = 90


class PeriodForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label=None)
    start = IsoDateField(label="From", widget=DATE_INPUT)
    end = IsoDateField(label="To (included)", widget=DATE_INPUT)

    def __init__(self, *args: Any, programs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = programs
        if len(programs) < 2:
            field.widget = forms.HiddenInput()


def _form(request: AuthedRequest) -> tuple[PeriodForm, Program | None]:
    """The period asked for, or the last 90 days of the first program the
    user manages."""
    program_access(user=request.user)  # managers of some program only
    programs = managed_program_list_for(user=request.user).order_by("name", "id")
    first = programs.first()
    if "start" in request.GET or "end" in request.GET or "program" in request.GET:
        form = PeriodForm(request.GET, programs=programs)
        chosen = request.GET.get("program", "")
        if chosen.isascii() and chosen.isdigit():
            # Another program's id: the one access answer (404 / 403).
            program_access(user=request.user, program_id=int(chosen))
        if form.is_valid():
            return form, form.cleaned_data["program"]
        return form, None
    assert first is not None  # program_access above: the user manages one
    today = timezone.localtime(timezone.now(), first.tz).date()
    start = today - datetime.timedelta(days=DEFAULT_DAYS - 1)
    form = PeriodForm(
        {"program": first.pk, "start": start.isoformat(), "end": today.isoformat()},
        programs=programs,
    )
    form.is_valid()
    return form, first


@dataclass(frozen=True)
class ChartRow:
    """One agency's three bars, in the chart's units (0-100)."""

    row: ConversionRow
    y: int
    sent: float
    accepted: float
    connected: float


ROW_HEIGHT = 34


def _chart(rows: list[ConversionRow]) -> dict[str, Any]:
    agencies = rows[:-1]
    top = max((r.sent for r in agencies), default=0) or 1
    bars = [
        ChartRow(
            row=r,
            y=i * ROW_HEIGHT,
            sent=round(100 * r.sent / top, 1),
            accepted=round(100 * r.accepted / top, 1),
            connected=round(100 * r.connected / top, 1),
        )
        for i, r in enumerate(agencies)
    ]
    return {"bars": bars, "height": max(len(bars), 1) * ROW_HEIGHT}


def _period(form: PeriodForm) -> tuple[datetime.date, datetime.date]:
    return form.cleaned_data["start"], form.cleaned_data["end"]


@login_required
@require_GET
def referral_report(request: AuthedRequest) -> HttpResponse:
    form, program = _form(request)
    rows: list[ConversionRow] = []
    if program is not None:
        start, end = _period(form)
        try:
            rows = referral_conversion(
                user=request.user, program_id=program.pk, start=start, end=end
            )
        except DomainError as error:
            apply_domain_error(request, error, form)
            program = None
    status = 200 if program is not None else 400
    return render(
        request,
        "referrals/report.html",
        {
            "form": form,
            "program": program,
            "rows": rows[:-1],
            "total": rows[-1] if rows else None,
            "chart": _chart(rows) if rows else None,
            "query": request.GET.urlencode() if program is not None else "",
        },
        status=status,
    )


CSV_COLUMNS = [
    "agency",
    "agency_slug",
    "sent",
    "accepted",
    "accepted_percent",
    "connected",
    "connected_percent",
    "median_hours_to_first_response",
]


@login_required
@require_GET
def referral_report_export(request: AuthedRequest) -> HttpResponse:
    form, program = _form(request)
    if program is None:
        return render(
            request,
            "referrals/report.html",
            {"form": form, "program": None, "rows": [], "total": None},
            status=400,
        )
    start, end = _period(form)
    try:
        rows = referral_conversion_export(
            by=request.user, program_id=program.pk, start=start, end=end
        )
    except DomainError as error:
        apply_domain_error(request, error, form)
        return render(
            request,
            "referrals/report.html",
            {"form": form, "program": None, "rows": [], "total": None},
            status=400,
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="referral-conversion-{program.slug}-'
        f'{start.isoformat()}-{end.isoformat()}.csv"'
    )
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = (
            row.agency_name,
            row.agency_slug,
            row.sent,
            row.accepted,
            row.accepted_percent,
            row.connected,
            row.connected_percent,
            row.median_response_hours,
        )
        writer.writerow([csv_cell("" if v is None else v) for v in values])
    return response
