"""Fixtures of the cases tests: users of the other roles."""

from __future__ import annotations

import pytest

from navigator.models import Role
from tests.factories import member


@pytest.fixture
def admin_a(program_a):
    return member(program_a, Role.ADMIN, username="admin-a")


@pytest.fixture
def partner_a(program_a):
    return member(program_a, Role.PARTNER, username="partner-a")


@pytest.fixture
def manager_b(program_b):
    return member(program_b, Role.PROGRAM_MANAGER, username="mgr-b")
