"""Celery front doors for cases: familiar-faces evaluation. Idempotent."""

from __future__ import annotations

from celery import shared_task

from cases.familiar import evaluation, services
from navigator.context import audit_context, new_request_id
from navigator.models import Program

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**IDEMPOTENT)
def familiar_faces_evaluate_person(person_id: int) -> evaluation.Stats:
    with audit_context(
        request_id=new_request_id(), source="task", endpoint="familiar_faces_evaluate"
    ):
        return evaluation.evaluate_person(person_id)


@shared_task(**IDEMPOTENT)
def familiar_faces_evaluate_program(program_id: int) -> evaluation.Stats:
    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return {}
    with audit_context(
        request_id=new_request_id(), source="task", endpoint="familiar_faces_evaluate"
    ):
        return services.familiar_faces_evaluate_program(program=program)


@shared_task(**IDEMPOTENT)
def familiar_faces_nightly() -> dict[str, evaluation.Stats]:
    """Every program, in full: fixes anything the incremental path missed."""
    with audit_context(
        request_id=new_request_id(), source="task", endpoint="familiar_faces_nightly"
    ):
        return services.familiar_faces_evaluate_programs(
            programs=Program.objects.order_by("pk")
        )
