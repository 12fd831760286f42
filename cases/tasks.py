"""Celery front doors for cases: familiar-faces evaluation. Idempotent."""

from __future__ import annotations

from celery import shared_task

from cases.familiar import evaluation, services
from navigator.models import Program

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**IDEMPOTENT)
def familiar_faces_evaluate_person(person_id: int) -> dict:
    return evaluation.evaluate_person(person_id)


@shared_task(**IDEMPOTENT)
def familiar_faces_evaluate_program(program_id: int) -> dict:
    program = Program.objects.filter(pk=program_id).first()
    return evaluation.evaluate_program(program) if program else {}


@shared_task(**IDEMPOTENT)
def familiar_faces_nightly() -> dict:
    """Every program, in full: fixes anything the incremental path missed."""
    results = {}
    for program in Program.objects.order_by("pk"):
        services.rules_ensure_default(program=program)
        results[program.slug] = evaluation.evaluate_program(program)
    return results
