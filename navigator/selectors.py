"""Reads of the platform: which programs a user may see, and in which role.

"Staff of a program" (``staff_program_ids_for`` / ``is_staff_of`` /
``staff_users_of``) and "manager of a program" (``managed_program_ids_for`` /
``is_manager_of`` / ``program_access``) are decided here and nowhere else:
every app asks these instead of naming roles.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from navigator.errors import NotFound, PermissionDenied
from navigator.models import STAFF_ROLES, AuditEvent, Membership, Program, Role, User


def _memberships(user: User | AnonymousUser) -> list[Membership]:
    # An anonymous or deactivated user holds no role anywhere, whatever rows
    # remain: every role question (not only scoping) must answer "none".
    if not isinstance(user, User) or not user.is_active:
        return []
    # Cached per user object: scoping is asked many times per request.
    cached = getattr(user, "_navigator_memberships", None)
    if cached is None:
        # Oldest first: "the user's first program" (their time zone, the
        # default for new records) must not change from one query to the next.
        cached = list(
            Membership.objects.filter(user=user, is_active=True)
            .select_related("program")
            .order_by("id")
        )
        user._navigator_memberships = cached
    return cached


def memberships_for(*, user: User | AnonymousUser) -> list[Membership]:
    """The user's active memberships with their programs (cached per user)."""
    return _memberships(user)


def program_ids_for(
    *, user: User | AnonymousUser, roles: Collection[str] = STAFF_ROLES
) -> list[int]:
    """Programs where the user holds one of ``roles`` (by default: staff)."""
    return sorted({m.program_id for m in _memberships(user) if m.role in roles})


def program_list_for(
    *, user: User | AnonymousUser, roles: Collection[str] = STAFF_ROLES
) -> QuerySet[Program]:
    return Program.objects.filter(id__in=program_ids_for(user=user, roles=roles))


# --- staff and managers of a program: the one definition ---------------------


def staff_program_ids_for(*, user: User | AnonymousUser) -> list[int]:
    """Programs whose people's records the user works with: those where they
    are staff (``STAFF_ROLES``). Admins and partners are staff of none."""
    return program_ids_for(user=user, roles=STAFF_ROLES)


def is_staff_of(*, user: User | AnonymousUser, program_id: int | None) -> bool:
    return program_id in staff_program_ids_for(user=user)


def managed_program_ids_for(*, user: User | AnonymousUser) -> list[int]:
    """Programs the user manages (program manager)."""
    return program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))


def managed_program_list_for(*, user: User) -> QuerySet[Program]:
    return Program.objects.filter(id__in=managed_program_ids_for(user=user))


def staff_users_of(
    *, program_ids: Iterable[int], active_only: bool = True
) -> QuerySet[User]:
    """Who is staff of any of these programs (assignees, responders,
    colleagues). ``active_only=False`` also keeps those who have left (a
    follow-up stays assigned to them)."""
    # One filter() call: every condition holds for the same membership.
    membership: dict[str, object] = {
        "memberships__program_id__in": list(program_ids),
        "memberships__role__in": STAFF_ROLES,
    }
    if active_only:
        membership |= {"is_active": True, "memberships__is_active": True}
    return User.objects.filter(**membership).distinct()


def managers_of(*, program_ids: Iterable[int]) -> QuerySet[Membership]:
    """The active managers of these programs, as their memberships (with
    the user loaded): who is told when something of a program needs a
    manager (an escalation). One row per program and manager."""
    return Membership.objects.filter(
        program_id__in=list(program_ids),
        role=Role.PROGRAM_MANAGER,
        is_active=True,
        user__is_active=True,
    ).select_related("user")


def colleague_get_for(*, user: User, pk: int) -> User | None:
    """An active staff member of any of the user's programs, by id (an
    assignee named in a request), or None."""
    return (
        staff_users_of(program_ids=staff_program_ids_for(user=user))
        .filter(pk=pk)
        .first()
    )


ProgramAction = Literal["manage"]


def program_access(
    *, user: User, program_id: int | None = None, action: ProgramAction = "manage"
) -> None:
    """May the user manage this program (its settings, its managers' lists)?

    With no program: may the user manage any (a managers' page spanning the
    programs they manage). A program the user has no role in is out of scope
    (NotFound); staff of it who are not its managers, or anyone who manages
    nothing, are not allowed (PermissionDenied). DESIGN.md, "Architecture".
    """
    if program_id is None:
        if not managed_program_ids_for(user=user):
            raise PermissionDenied(
                "Only a program manager can open this page.", code="manager_only"
            )
        return
    if is_manager_of(user=user, program_id=program_id):
        return
    if not roles_for(user=user, program_id=program_id):
        raise NotFound("No such program.")
    raise PermissionDenied(
        "Only the program's managers can do this.", code="manager_only"
    )


def primary_program_for(*, user: User | AnonymousUser) -> Program | None:
    """The program a user works in first: the oldest active membership,
    preferring one with access to people's records."""
    memberships = _memberships(user)
    staff = [m for m in memberships if m.role in STAFF_ROLES]
    first = (staff or memberships)[:1]
    return first[0].program if first else None


def roles_for(*, user: User | AnonymousUser, program_id: int) -> set[str]:
    return {m.role for m in _memberships(user) if m.program_id == program_id}


def user_has_role(*, user: User | AnonymousUser, role: str) -> bool:
    return any(m.role == role for m in _memberships(user))


def is_administrator(*, user: User | AnonymousUser) -> bool:
    """May administer the deployment (users, roles, programs, tokens: the
    admin site). An active membership with the admin role, or a superuser
    (``createsuperuser``, to bootstrap the first administrator).

    ``is_staff`` is not asked: Navigator's roles come from memberships only,
    so there is one place that makes someone an administrator.
    """
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.is_superuser or user_has_role(user=user, role=Role.ADMIN)


def administration_access(*, user: User | AnonymousUser) -> None:
    """Raises PermissionDenied unless ``user`` is an administrator."""
    if not is_administrator(user=user):
        raise PermissionDenied("Only an administrator may do this.")


def account_administration_allowed(
    *, user: User | AnonymousUser, account: User | None = None
) -> bool:
    """May ``user`` administer ``account`` (or accounts at all)? An
    administrator may, except a superuser's account: only a superuser changes
    that one (its password included), so the admin role cannot take over the
    account that bootstraps every other."""
    if not is_administrator(user=user):
        return False
    if account is not None and account.is_superuser:
        return isinstance(user, User) and user.is_superuser
    return True


def is_manager_of(*, user: User | AnonymousUser, program_id: int | None) -> bool:
    return program_id in managed_program_ids_for(user=user)


@dataclass(frozen=True)
class AuditTrailFilters:
    """Which events of a trail: of one kind (an ``AuditAction``), by one
    person (``actor_id``) or by the system (no actor)."""

    action: str = ""
    actor_id: int | None = None
    by_system: bool = False


def _trail(*, user: User | AnonymousUser, person_id: int) -> QuerySet[AuditEvent]:
    managed = managed_program_ids_for(user=user)
    return AuditEvent.objects.filter(person_id=person_id, program_id__in=managed)


def audit_trail_for_person(
    *,
    user: User | AnonymousUser,
    person_id: int,
    filters: AuditTrailFilters | None = None,
) -> QuerySet[AuditEvent]:
    """A person's audit trail, for program managers of the person's program.

    The caller has already resolved the person through a scoped selector.
    """
    events = _trail(user=user, person_id=person_id)
    if filters is not None:
        if filters.action:
            events = events.filter(action=filters.action)
        if filters.by_system:
            events = events.filter(actor__isnull=True)
        elif filters.actor_id is not None:
            events = events.filter(actor_id=filters.actor_id)
    return events.select_related("actor").order_by("-at", "-id")


def audit_trail_actors_for_person(*, user: User, person_id: int) -> list[User]:
    """Everyone who appears in a person's trail (to filter it by who), by name."""
    return list(
        User.objects.filter(
            pk__in=_trail(user=user, person_id=person_id)
            .filter(actor__isnull=False)
            .values("actor_id")
        ).order_by("first_name", "last_name", "username")
    )
