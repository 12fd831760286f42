"""Which programs a user may see, and in which role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from navigator.models import Membership, Role, User
from navigator.selectors import (
    is_manager_of,
    managers_of,
    primary_program_for,
    program_ids_for,
    program_list_for,
    roles_for,
    user_has_role,
)
from tests.factories import ProgramFactory, member

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_staff_roles_see_their_programs(program_a, program_b):
    for role in (Role.NAVIGATOR, Role.CASEWORKER, Role.PROGRAM_MANAGER):
        user = member(program_a, role)
        assert program_ids_for(user=user) == [program_a.pk]
        assert list(program_list_for(user=user)) == [program_a]


def test_admin_and_partner_roles_see_no_programs(program_a):
    for role in (Role.ADMIN, Role.PARTNER):
        user = member(program_a, role)
        assert program_ids_for(user=user) == []
        # ...but the role is known, for the pages that configure things.
        assert user_has_role(user=user, role=role)
        assert program_ids_for(user=user, roles=(role,)) == [program_a.pk]


def test_several_programs_and_roles(program_a, program_b):
    user = member(program_a, Role.NAVIGATOR)
    Membership.objects.create(user=user, program=program_b, role=Role.PROGRAM_MANAGER)
    Membership.objects.create(user=user, program=program_b, role=Role.CASEWORKER)
    user = fresh(user)
    assert program_ids_for(user=user) == sorted([program_a.pk, program_b.pk])
    assert program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,)) == [program_b.pk]
    assert roles_for(user=user, program_id=program_b.pk) == {
        Role.PROGRAM_MANAGER,
        Role.CASEWORKER,
    }
    assert is_manager_of(user=user, program_id=program_b.pk)
    assert not is_manager_of(user=user, program_id=program_a.pk)


def test_an_inactive_membership_counts_for_nothing(program_a, manager_a):
    Membership.objects.filter(user=manager_a).update(is_active=False)
    user = fresh(manager_a)
    assert program_ids_for(user=user) == []
    assert not is_manager_of(user=user, program_id=program_a.pk)
    assert primary_program_for(user=user) is None


def test_an_inactive_user_holds_no_role(program_a, manager_a):
    User.objects.filter(pk=manager_a.pk).update(is_active=False)
    user = fresh(manager_a)
    assert program_ids_for(user=user) == []
    assert roles_for(user=user, program_id=program_a.pk) == set()
    assert not is_manager_of(user=user, program_id=program_a.pk)
    assert not user_has_role(user=user, role=Role.PROGRAM_MANAGER)


def test_anonymous_holds_no_role(program_a):
    anon = AnonymousUser()
    assert program_ids_for(user=anon) == []
    assert roles_for(user=anon, program_id=program_a.pk) == set()
    assert not is_manager_of(user=anon, program_id=program_a.pk)
    assert primary_program_for(user=anon) is None


def test_primary_program_is_stable_and_prefers_staff_roles(db):
    first, second, config = (ProgramFactory() for _ in range(3))
    user = member(config, Role.ADMIN)
    Membership.objects.create(user=user, program=second, role=Role.NAVIGATOR)
    Membership.objects.create(user=user, program=first, role=Role.NAVIGATOR)
    # The oldest staff membership, on every load.
    for _ in range(3):
        assert primary_program_for(user=fresh(user)) == second
    admin_only = member(config, Role.ADMIN)
    assert primary_program_for(user=admin_only) == config


def test_memberships_are_read_once_per_user_object(
    program_a, navigator_a, django_assert_num_queries
):
    user = fresh(navigator_a)
    with django_assert_num_queries(1):
        for _ in range(5):
            program_ids_for(user=user)
            roles_for(user=user, program_id=program_a.pk)


def test_managers_of_a_program_are_its_active_managers_only(program_a, program_b):
    manager = member(program_a, Role.PROGRAM_MANAGER)
    member(program_a, Role.NAVIGATOR)
    member(program_b, Role.PROGRAM_MANAGER)
    left = member(program_a, Role.PROGRAM_MANAGER)
    Membership.objects.filter(user=left).update(is_active=False)
    deactivated = member(program_a, Role.PROGRAM_MANAGER)
    User.objects.filter(pk=deactivated.pk).update(is_active=False)
    found = managers_of(program_ids=[program_a.pk])
    assert [(m.program_id, m.user) for m in found] == [(program_a.pk, manager)]
