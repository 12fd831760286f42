"""Who sees what: a program's people and encounters stay inside the program.

Every read goes through a selector scoped to the user, and every write
re-checks the scope, so the pages and the API cannot disagree (DESIGN.md).
"""

from __future__ import annotations

from typing import Unpack

import pytest
from django.contrib.auth.models import AnonymousUser

from cases import selectors, services
from cases.models import FamilyContact
from cases.services import EncounterData, FamilyContactData
from cases.workspace import selectors as workspace_selectors
from navigator.errors import DomainError, NotFound
from navigator.models import Membership, Role, User
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as a new request would load it (no cached memberships)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def world(program_a, program_b, navigator_a, navigator_b):
    """One person, encounter and family contact in each of two programs."""
    person_a = PersonFactory(program=program_a, first_name="Alma", last_name="Ames")
    person_b = PersonFactory(program=program_b, first_name="Alma", last_name="Bates")
    enc_a = EncounterFactory(person=person_a, created_by=navigator_a)
    enc_a.navigators.set([navigator_a])
    enc_b = EncounterFactory(person=person_b, created_by=navigator_b)
    enc_b.navigators.set([navigator_b])
    contact_a = FamilyContact.objects.create(
        person=person_a, name="Ann Ames", relationship="sister"
    )
    contact_b = FamilyContact.objects.create(
        person=person_b, name="Bea Bates", relationship="mother"
    )
    return {
        "person_a": person_a,
        "person_b": person_b,
        "enc_a": enc_a,
        "enc_b": enc_b,
        "contact_a": contact_a,
        "contact_b": contact_b,
    }


def visible(user: User) -> dict[str, set[int]]:
    """Everything a user can reach through the read selectors."""
    return {
        "people": set(
            selectors.person_list_for(user=user).values_list("pk", flat=True)
        ),
        "search": {
            p.pk
            for p in selectors.person_search(
                selectors.person_list_for(user=user), "alma"
            )
        },
        "encounters": set(
            selectors.encounter_list_for(user=user).values_list("pk", flat=True)
        ),
        "recent": {
            e.pk for e in selectors.encounter_list_recent_for_navigator(user=user)
        },
        "managed": {e.pk for e in selectors.encounter_list_for_manager(user=user)},
    }


class TestReads:
    def test_user_of_a_sees_only_program_a(self, world, navigator_a):
        seen = visible(navigator_a)
        assert seen["people"] == {world["person_a"].pk}
        assert seen["search"] == {world["person_a"].pk}
        assert seen["encounters"] == {world["enc_a"].pk}
        assert seen["recent"] == {world["enc_a"].pk}
        # A navigator manages nothing.
        assert seen["managed"] == set()

    def test_get_of_other_programs_objects_is_not_found(self, world, navigator_a):
        with pytest.raises(NotFound):
            selectors.person_get_for(user=navigator_a, person_id=world["person_b"].pk)
        with pytest.raises(NotFound):
            selectors.encounter_get_for(
                user=navigator_a, encounter_id=world["enc_b"].pk
            )
        with pytest.raises(NotFound):
            selectors.family_contact_get_for(
                user=navigator_a, contact_id=world["contact_b"].pk
            )
        # The own program's objects resolve, so the NotFound above is scoping.
        assert (
            selectors.person_get_for(user=navigator_a, person_id=world["person_a"].pk)
            == world["person_a"]
        )
        assert (
            selectors.family_contact_get_for(
                user=navigator_a, contact_id=world["contact_a"].pk
            )
            == (world["contact_a"])
        )

    @pytest.mark.parametrize("bad_id", ["abc", "", None, "1.5", -1, 10**12])
    def test_get_with_a_bad_id_is_not_found(self, world, navigator_a, bad_id):
        with pytest.raises(NotFound):
            selectors.person_get_for(user=navigator_a, person_id=bad_id)
        with pytest.raises(NotFound):
            selectors.encounter_get_for(user=navigator_a, encounter_id=bad_id)
        with pytest.raises(NotFound):
            selectors.family_contact_get_for(user=navigator_a, contact_id=bad_id)

    def test_timeline_is_reached_only_through_the_scoped_get(
        self, world, navigator_a, navigator_b
    ):
        person = selectors.person_get_for(
            user=navigator_a, person_id=world["person_a"].pk
        )
        timeline = workspace_selectors.person_timeline(person=person)
        assert [e["object"].pk for e in timeline] == [world["enc_a"].pk]
        with pytest.raises(NotFound):
            selectors.person_get_for(user=navigator_b, person_id=world["person_a"].pk)

    def test_manager_list_covers_only_managed_programs(
        self, world, program_a, program_b
    ):
        # Manager in A, navigator in B: the manager list is A only, while the
        # ordinary encounter list covers both.
        user = member(program_a, Role.PROGRAM_MANAGER)
        Membership.objects.create(user=user, program=program_b, role=Role.NAVIGATOR)
        user = fresh(user)
        assert {e.pk for e in selectors.encounter_list_for_manager(user=user)} == {
            world["enc_a"].pk
        }
        assert set(
            selectors.encounter_list_for(user=user).values_list("pk", flat=True)
        ) == {world["enc_a"].pk, world["enc_b"].pk}

    def test_user_in_two_programs_sees_both(self, world, program_a, program_b):
        user = member(program_a, Role.CASEWORKER)
        Membership.objects.create(user=user, program=program_b, role=Role.CASEWORKER)
        seen = visible(fresh(user))
        assert seen["people"] == {world["person_a"].pk, world["person_b"].pk}
        assert seen["search"] == {world["person_a"].pk, world["person_b"].pk}
        assert seen["encounters"] == {world["enc_a"].pk, world["enc_b"].pk}

    def test_inactive_membership_sees_nothing(self, world, navigator_a):
        Membership.objects.filter(user=navigator_a).update(is_active=False)
        user = fresh(navigator_a)
        assert visible(user) == {k: set() for k in visible(user)}
        with pytest.raises(NotFound):
            selectors.person_get_for(user=user, person_id=world["person_a"].pk)

    def test_inactive_user_sees_nothing(self, world, manager_a):
        User.objects.filter(pk=manager_a.pk).update(is_active=False)
        user = fresh(manager_a)
        assert visible(user) == {k: set() for k in visible(user)}
        with pytest.raises(NotFound):
            selectors.encounter_get_for(user=user, encounter_id=world["enc_a"].pk)

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
    def test_admin_and_partner_have_no_standing_access(self, world, program_a, role):
        user = fresh(member(program_a, role))
        assert visible(user) == {k: set() for k in visible(user)}
        with pytest.raises(NotFound):
            selectors.person_get_for(user=user, person_id=world["person_a"].pk)
        with pytest.raises(NotFound):
            selectors.family_contact_get_for(
                user=user, contact_id=world["contact_a"].pk
            )

    def test_superuser_flag_grants_no_health_data(self, world):
        root = User.objects.create_superuser("root", "root@example.org", "x" * 16)
        assert visible(root) == {k: set() for k in visible(root)}

    def test_anonymous_user_sees_nothing(self, world):
        anon = AnonymousUser()
        # deliberately wrong type: the cases selectors take a User, yet must
        # answer nothing (not fail) if ever handed an anonymous one.
        assert not selectors.person_list_for(user=anon).exists()  # type: ignore[arg-type]
        assert not selectors.encounter_list_for(user=anon).exists()  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            selectors.person_get_for(user=anon, person_id=world["person_a"].pk)  # type: ignore[arg-type]

    def test_deleted_persons_contacts_are_hidden(self, world, navigator_a):
        services.person_soft_delete(
            by=navigator_a, person=world["person_a"], reason="duplicate"
        )
        with pytest.raises(NotFound):
            selectors.family_contact_get_for(
                user=navigator_a, contact_id=world["contact_a"].pk
            )


class TestWrites:
    def test_create_person_in_another_program(self, navigator_a, program_b):
        with pytest.raises(DomainError) as exc:
            services.person_create(
                by=navigator_a, program=program_b, data={"first_name": "Zed"}
            )
        assert "program" in exc.value.fields
        with pytest.raises(DomainError) as exc:
            services.person_create(
                by=navigator_a, program=program_b.pk, data={"first_name": "Zed"}
            )
        assert "program" in exc.value.fields

    def test_a_program_id_given_as_text_works(self, navigator_a, program_a):
        # Forms and query strings carry ids as text.
        person = services.person_create(
            by=navigator_a,
            # deliberately wrong type: the text id a form sends is accepted.
            program=str(program_a.pk),  # type: ignore[arg-type]
            data={"first_name": "Zed"},
        )
        assert person.program == program_a

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
    def test_admin_and_partner_cannot_create_people(self, program_a, role):
        user = member(program_a, role)
        with pytest.raises(DomainError) as exc:
            services.person_create(
                by=user, program=program_a, data={"first_name": "Zed"}
            )
        assert "program" in exc.value.fields

    def test_user_of_two_programs_must_choose(self, program_a, program_b):
        user = member(program_a, Role.NAVIGATOR)
        Membership.objects.create(user=user, program=program_b, role=Role.NAVIGATOR)
        with pytest.raises(DomainError) as exc:
            services.person_create(by=fresh(user), data={"first_name": "Zed"})
        assert exc.value.fields.keys() == {"program"}

    def test_encounter_for_another_programs_person(self, navigator_a, program_b):
        other = PersonFactory(program=program_b)
        with pytest.raises(DomainError) as exc:
            services.encounter_log(by=navigator_a, person=other, data=_encounter_data())
        assert "person" in exc.value.fields
        with pytest.raises(DomainError) as exc:
            services.encounter_log(
                by=navigator_a, person=other.pk, data=_encounter_data()
            )
        assert "person" in exc.value.fields

    def test_responders_from_another_program(self, navigator_a, navigator_b, program_a):
        person = PersonFactory(program=program_a)
        with pytest.raises(DomainError) as exc:
            services.encounter_log(
                by=navigator_a,
                person=person,
                navigators=[navigator_a, navigator_b],
                data=_encounter_data(),
            )
        assert "navigators" in exc.value.fields

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
    def test_non_staff_members_cannot_be_responders(self, navigator_a, program_a, role):
        outsider = member(program_a, role)
        person = PersonFactory(program=program_a)
        with pytest.raises(DomainError) as exc:
            services.encounter_log(
                by=navigator_a,
                person=person,
                navigators=[navigator_a, outsider],
                data=_encounter_data(),
            )
        assert "navigators" in exc.value.fields

    def test_updates_of_another_programs_records_are_not_found(
        self, world, navigator_a
    ):
        # Services trust no caller: an id that slipped past a view is still 404.
        calls = [
            lambda: services.person_update(
                by=navigator_a, person=world["person_b"], data={"first_name": "X"}
            ),
            lambda: services.person_soft_delete(
                by=navigator_a, person=world["person_b"], reason="x"
            ),
            lambda: services.family_contact_add(
                by=navigator_a, person=world["person_b"], data=_contact_data()
            ),
            lambda: services.family_contact_update(
                by=navigator_a, contact=world["contact_b"], data={"name": "X"}
            ),
            lambda: services.family_contact_remove(
                by=navigator_a, contact=world["contact_b"], reason="x"
            ),
            lambda: services.encounter_update(
                by=navigator_a, encounter=world["enc_b"], data={"narrative": "X"}
            ),
            lambda: services.encounter_soft_delete(
                by=navigator_a, encounter=world["enc_b"], reason="x"
            ),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call()
        world["person_b"].refresh_from_db()
        assert world["person_b"].first_name == "Alma"
        assert not world["person_b"].is_deleted

    def test_restore_of_another_programs_record_is_not_found(
        self, world, navigator_a, navigator_b
    ):
        services.person_soft_delete(
            by=navigator_b, person=world["person_b"], reason="duplicate"
        )
        services.encounter_soft_delete(
            by=navigator_b, encounter=world["enc_b"], reason="wrong person"
        )
        with pytest.raises(NotFound):
            services.person_restore(by=navigator_a, person=world["person_b"])
        with pytest.raises(NotFound):
            services.encounter_restore(by=navigator_a, encounter=world["enc_b"])

    def test_inactive_member_cannot_write(self, world, navigator_a):
        Membership.objects.filter(user=navigator_a).update(is_active=False)
        user = fresh(navigator_a)
        with pytest.raises(DomainError) as exc:
            services.person_create(by=user, data={"first_name": "Zed"})
        assert "program" in exc.value.fields
        with pytest.raises(NotFound):
            services.person_update(
                by=user, person=world["person_a"], data={"first_name": "X"}
            )

    def test_a_program_id_that_does_not_exist(self, navigator_a):
        with pytest.raises(DomainError) as exc:
            services.person_create(
                by=navigator_a, program=999_999, data={"first_name": "Zed"}
            )
        assert "program" in exc.value.fields


def _encounter_data(**overrides: Unpack[EncounterData]) -> EncounterData:
    from django.utils import timezone

    data: EncounterData = {
        "started_at": timezone.now(),
        "source": "911_call",
        "disposition": "resolved_on_scene",
    }
    data.update(overrides)
    return data


def _contact_data(**overrides: Unpack[FamilyContactData]) -> FamilyContactData:
    data: FamilyContactData = {
        "name": "Carla Diaz",
        "relationship": "mother",
        "phone": "555-0100",
    }
    data.update(overrides)
    return data


def test_encounters_of_a_deleted_person_leave_the_lists(navigator_a, program_a):
    from cases import services as case_services
    from cases.selectors import encounter_list_for
    from tests.factories import EncounterFactory, PersonFactory

    person = PersonFactory(program=program_a)
    EncounterFactory(person=person)
    unidentified = EncounterFactory(
        person=None, program=program_a, unidentified_description="woman, 30s"
    )
    case_services.person_soft_delete(by=navigator_a, person=person, reason="dup")
    assert list(encounter_list_for(user=navigator_a)) == [unidentified]
