"""The familiar-faces list and its CSV export."""

from __future__ import annotations

import csv
import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.familiar import selectors, services
from cases.familiar.filters import FamiliarFaceFilter
from cases.familiar.selectors import FamiliarFaceRow
from cases.familiar.views._common import list_url
from cases.models import FamiliarFaceFlag
from navigator.http import AuthedRequest
from navigator.selectors import staff_program_ids_for
from navigator.views import paginate


@login_required
@require_GET
def familiar_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    selectors.familiar_faces_access(user=user, action="list")
    flags = FamiliarFaceFilter(
        request.GET or None,
        queryset=selectors.familiar_faces_for(user=user),
        request=request,
    )
    page = paginate(request, flags.qs)
    rows = selectors.familiar_faces_rows(list(page.object_list))
    for row in rows:
        row["can_act"] = selectors.familiar_face_allowed(
            user=user, flag=row["flag"], action="enroll"
        )
    to_enroll = sorted({r["flag"].program_id for r in rows if r["can_act"]})
    choices = (
        selectors.enrollment_navigator_choices(program_ids=to_enroll)
        if to_enroll
        else {}
    )
    for row in rows:
        row["navigator_choices"] = choices.get(row["flag"].program_id, [])
    services.familiar_rows_shown(by=user, rows=rows)
    return render(
        request,
        "familiar/list.html",
        {
            "filter": flags,
            "page_obj": page,
            "rows": rows,
            "is_manager": selectors.familiar_faces_allowed(user=user, action="export"),
            "show_program": len(staff_program_ids_for(user=user)) > 1,
            "here": request.get_full_path(),
        },
    )


CSV_COLUMNS = [
    "person_id",
    "external_id",
    "name",
    "program",
    "rule",
    "contacts",
    "window_start",
    "window_end",
    "previous_contacts",
    "trend",
    "last_contact",
    "top_concerns",
    "dispositions",
    "overdue_followups",
    "navigator",
    "enrollment_status",
]

CsvCell = str | int | None


def _csv_cell(value: CsvCell) -> CsvCell:
    # A cell starting with = + - @ (or a tab / CR) is run as a formula by
    # spreadsheet programs; names are typed by people (OWASP CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(moment: datetime.datetime | None, flag: FamiliarFaceFlag) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment, flag.program.tz).isoformat(timespec="minutes")


def _csv_row(row: FamiliarFaceRow) -> list[CsvCell]:
    flag = row["flag"]
    navigator = row["navigator"]
    values: tuple[CsvCell, ...] = (
        row["person"].pk,
        row["person"].external_id,
        row["person"].display_name,
        flag.program.name,
        flag.rule.name,
        row["contacts"],
        _local(flag.window_start, flag),
        _local(flag.window_end, flag),
        row["previous_contacts"],
        row["trend"],
        _local(row["last_contact"], flag),
        "; ".join(row["top_concerns"]),
        "; ".join(row["dispositions"]),
        row["overdue_followups"],
        (navigator.get_full_name() or navigator.username) if navigator else "",
        row["enrollment_status"],
    )
    return [_csv_cell(value) for value in values]


@login_required
@require_GET
def familiar_export(request: AuthedRequest) -> HttpResponse:
    """The list as CSV, for managers: the same columns, no narrative text
    (no plans, no dismissal reasons). What is audited is the service's
    decision (``services.familiar_list_export``)."""
    user = request.user
    selectors.familiar_faces_access(user=user, action="export")
    flags = FamiliarFaceFilter(
        request.GET or None,
        queryset=selectors.familiar_faces_for_manager(user=user),
        request=request,
    )
    if flags.is_bound and not flags.is_valid():
        # An ignored filter would export more than the manager asked for:
        # back to the list, which shows what is wrong.
        return redirect(f"{list_url()}?{request.GET.urlencode()}")
    chosen = flags.form.cleaned_data.get("program") if flags.is_bound else None
    rows = services.familiar_list_export(
        by=user, flags=flags.qs, program_id=chosen.pk if chosen is not None else None
    )
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="familiar-faces-{stamp}.csv"'
    )
    # Health data: never kept in a shared or browser cache.
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(row) for row in rows)
    return response
