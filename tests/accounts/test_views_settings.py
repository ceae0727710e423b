"""Settings views of users and teams: create, edit, password reset, lock-out protection, query caps."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_user
from voronka.accounts.models import Team, User

pytestmark = pytest.mark.django_db

PASSWORD = "Voronka-2026!x"


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def _new_user(**overrides) -> dict:
    data = {"username": "manager9", "first_name": "Ирина", "last_name": "Смирнова", "email": "Irina@Example.RU",
            "role": "manager", "team": "", "password": PASSWORD, "password_again": PASSWORD}
    data.update(overrides)
    return data


def test_user_list_shows_active_users_and_inactive_on_request(admin_client, world):
    world.outsider.is_active = False
    world.outsider.save()
    html = admin_client.get(reverse("settings:users")).content.decode()
    assert "teammate" in html and "outsider" not in html
    assert "outsider" in admin_client.get(reverse("settings:users"), {"inactive": "1"}).content.decode()


def test_admin_creates_a_user_who_can_sign_in(admin_client, world, client):
    response = admin_client.post(reverse("settings:user_create"), _new_user(team=str(world.team.pk)))
    assert response.status_code == 302
    user = User.objects.get(username="manager9")
    assert (user.role, user.team, user.email, user.get_full_name()) == ("manager", world.team, "irina@example.ru",
                                                                        "Ирина Смирнова")
    assert user.check_password(PASSWORD)


def test_new_user_dialog_for_htmx(admin_client, world):
    response = admin_client.get(reverse("settings:user_create"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<dialog" in response.content.decode()


@pytest.mark.parametrize("overrides, field", [
    ({"password": "123", "password_again": "123"}, "password"),
    ({"password_again": "other-Password-1"}, "password_again"),
    ({"username": "OWNER"}, "username"),
    ({"username": "bad name!"}, "username"),
    ({"email": "not-an-email"}, "email"),
    ({"role": "god"}, "role"),
    ({"team": "9999"}, "team"),
])
def test_bad_user_input_is_a_field_error(admin_client, world, overrides, field):
    response = admin_client.post(reverse("settings:user_create"), _new_user(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not User.objects.filter(username="manager9").exists()


def test_admin_changes_role_team_and_access(admin_client, world):
    response = admin_client.post(reverse("settings:user", args=[world.owner.pk]),
                                 {"first_name": "Олег", "last_name": "", "email": "", "role": "lead",
                                  "team": str(world.other_team.pk), "is_active": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    world.owner.refresh_from_db()
    assert (world.owner.role, world.owner.team, world.owner.is_active, world.owner.first_name) == (
        "lead", world.other_team, False, "Олег")


def test_admin_cannot_lock_themselves_out(admin_client, world):
    url = reverse("settings:user", args=[world.admin.pk])
    response = admin_client.post(url, {"role": "admin", "is_active": ""})
    assert response.status_code == 400
    assert "is_active" in response.context["form"].errors
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_a_plain_admin_cannot_drop_their_own_role_but_may_demote_another(client, world):
    plain = make_user("plain-admin", role="admin")
    client.force_login(plain)
    response = client.post(reverse("settings:user", args=[plain.pk]), {"role": "manager", "is_active": "on"})
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    other = make_user("other-admin", role="admin")
    response = client.post(reverse("settings:user", args=[other.pk]), {"role": "manager", "is_active": "on"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.role == "manager"


def test_admin_sets_a_new_password(admin_client, world):
    url = reverse("settings:user_password", args=[world.owner.pk])
    weak = admin_client.post(url, {"password": "owner", "password_again": "owner"})
    assert weak.status_code == 400 and "password" in weak.context["form"].errors
    response = admin_client.post(url, {"password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 302
    world.owner.refresh_from_db()
    assert world.owner.check_password(PASSWORD)


def test_unknown_user_is_404(admin_client, world):
    assert admin_client.get(reverse("settings:user", args=[987654])).status_code == 404
    assert admin_client.get(reverse("settings:user_password", args=[987654])).status_code == 404


def test_admin_creates_renames_and_sets_a_team_lead(admin_client, world):
    response = admin_client.post(reverse("settings:teams"), {"new-name": "Отдел продаж 3", "new-lead": ""})
    assert response.status_code == 302
    team = Team.objects.get(name="Отдел продаж 3")
    response = admin_client.post(reverse("settings:team", args=[team.pk]),
                                 {"name": "Ключевые клиенты", "lead": str(world.head.pk)})
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.lead) == ("Ключевые клиенты", world.head)


def test_team_name_clash_is_a_field_error(admin_client, world):
    response = admin_client.post(reverse("settings:team", args=[world.other_team.pk]), {"name": "team a"})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    response = admin_client.post(reverse("settings:teams"), {"new-name": ""})
    assert response.status_code == 400


def test_inactive_user_cannot_be_a_lead(admin_client, world):
    world.teammate.is_active = False
    world.teammate.save()
    response = admin_client.post(reverse("settings:team", args=[world.team.pk]),
                                 {"name": "Team A", "lead": str(world.teammate.pk)})
    assert response.status_code == 400
    assert "lead" in response.context["form"].errors


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_user_and_team_lists_run_a_fixed_number_of_queries(admin_client, world):
    urls = [reverse("settings:users"), reverse("settings:teams")]
    Team.objects.create(name="T0")
    few = [_count(admin_client, u) for u in urls]  # 3 teams, 7 users
    for i in range(1, 8):
        team = Team.objects.create(name=f"T{i}", lead=world.head)
        make_user(f"u{i}", team=team)
    assert [_count(admin_client, u) for u in urls] == few  # 10 teams, 14 users
