"""The conversion report's export: a read that leaves a trace."""

from __future__ import annotations

import datetime

from django.db import transaction

from navigator.audit import audit_record
from navigator.models import AuditAction, Program, User
from referrals.reports import ConversionRow, referral_conversion


@transaction.atomic
def referral_conversion_export(
    *, by: User, program_id: int, start: datetime.date, end: datetime.date
) -> list[ConversionRow]:
    """The report's rows for a CSV file, audited on the program: who took
    which period out of the system (HIPAA §164.312(b)). Counts only, no
    person's record, so no disclosure."""
    rows = referral_conversion(user=by, program_id=program_id, start=start, end=end)
    program = Program.objects.get(pk=program_id)
    audit_record(
        actor=by,
        action=AuditAction.VIEW,
        obj=program,
        person_id=None,
        program_id=program.pk,
        changes={
            "export": ["referral_conversion.csv", len(rows) - 1],
            "period": [start.isoformat(), end.isoformat()],
        },
    )
    return rows
