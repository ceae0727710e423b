"""Scopes per role and object type (Settings › Access): each object type follows its own setting."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.accounts.models import ROLE_SCOPES, RoleScope, User
from voronka.accounts.permissions import scope_q
from voronka.accounts.selectors import role_scope_grid
from voronka.accounts.services import set_role_scopes
from voronka.activities.selectors import my_day
from voronka.analytics.engine import run_report
from voronka.audit.models import AuditEntry
from voronka.clients.models import Client
from voronka.core.errors import DomainError, Forbidden
from voronka.deals.models import Deal

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as the next request loads him (the scopes are read once per user object)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def records(world):
    mine = make_deal(world.owner, world.pipeline, title="Моя", values={"amount": "100"})
    teammates_client = make_client(world.teammate, name="ООО Коллеги")
    teammates = make_deal(world.teammate, world.pipeline, title="Коллеги", values={"amount": "250"},
                          first_task=task_spec(title="Задача коллеги"))
    outsider = make_deal(world.outsider, world.pipeline, title="Чужая", values={"amount": "999"})
    return {"mine": mine, "teammates_client": teammates_client, "teammates": teammates, "outsider": outsider}


def test_the_defaults_are_the_roles_scopes(world):
    grid = role_scope_grid()
    assert [row["role"] for row in grid] == ["manager", "lead", "head", "analyst"]
    for row in grid:
        assert {cell["scope"] for cell in row["cells"]} == {ROLE_SCOPES[row["role"]]}
    assert fresh(world.owner).scope_for("clients") == "own" and fresh(world.lead).scope_for("reports") == "team"


def test_clients_of_the_team_without_their_deals(world, records):
    set_role_scopes(actor=world.admin, scopes={("manager", "clients"): "team"})
    owner = fresh(world.owner)
    clients = set(Client.objects.filter(scope_q(owner, "clients.Client")).values_list("name", flat=True))
    assert "ООО Коллеги" in clients and records["outsider"].client.name not in clients
    deals = set(Deal.objects.filter(scope_q(owner, "deals.Deal")).values_list("title", flat=True))
    assert deals == {"Моя"}
    http = HttpClient()
    http.force_login(owner)
    assert http.get(reverse("clients:detail", args=[records["teammates_client"].pk])).status_code == 200
    assert http.get(reverse("deals:detail", args=[records["teammates"].pk])).status_code == 404


def test_reports_of_the_team_while_deals_stay_his_own(world, records):
    set_role_scopes(actor=world.admin, scopes={("manager", "reports"): "team"})
    owner = fresh(world.owner)
    rows = run_report(actor=owner, name="funnel", params={}).rows
    first = rows[0]
    expected = Deal.objects.filter(owner__team=world.team, pipeline=world.pipeline).count()
    assert first["reached"] == expected == 2
    assert set(Deal.objects.filter(scope_q(owner, "deals.Deal")).values_list("title", flat=True)) == {"Моя"}


def test_a_lead_limited_to_his_own_tasks(world, records):
    lead = fresh(world.lead)
    assert "Задача коллеги" in [t.title for t in my_day(actor=lead).today + my_day(actor=lead).upcoming]
    set_role_scopes(actor=world.admin, scopes={("lead", "tasks"): "own"})
    lead = fresh(world.lead)
    day = my_day(actor=lead)
    assert "Задача коллеги" not in [t.title for t in day.today + day.upcoming + day.overdue]


def test_changes_are_audited_and_the_default_leaves_no_row(world):
    assert set_role_scopes(actor=world.admin, scopes={("manager", "deals"): "team", ("head", "deals"): "all"}) == 1
    assert RoleScope.objects.filter(role="manager", object_type="deals", scope="team").exists()
    assert set_role_scopes(actor=world.admin, scopes={("manager", "deals"): "own"}) == 1
    assert not RoleScope.objects.exists()
    entries = list(AuditEntry.objects.filter(action="access.scope_changed").order_by("id").values_list("old", "new"))
    assert entries == [("own", "team"), ("team", "own")]


@pytest.mark.parametrize("scopes", [{("admin", "deals"): "own"}, {("manager", "invoices"): "all"},
                                    {("manager", "deals"): "everything"}, {("manager", "deals"): ""}])
def test_bad_values_are_refused_and_nothing_changes(world, scopes):
    with unchanged(), pytest.raises(DomainError):
        set_role_scopes(actor=world.admin, scopes=scopes)
    assert not RoleScope.objects.exists()


def test_only_administrators_set_access(world):
    with pytest.raises(Forbidden):
        set_role_scopes(actor=world.head, scopes={("manager", "deals"): "all"})
    manager = HttpClient()
    manager.force_login(world.owner)
    assert manager.get(reverse("settings:access")).status_code in (403, 404)


def test_the_settings_page_saves_the_grid(world, records, django_assert_max_num_queries):
    admin = HttpClient()
    admin.force_login(world.admin)
    with django_assert_max_num_queries(10):
        page = admin.get(reverse("settings:access"))
    assert page.status_code == 200 and b'name="manager-clients"' in page.content
    data = {f"{row['role']}-{cell['object_type']}": cell["scope"] for row in role_scope_grid() for cell in row["cells"]}
    data["manager-reports"] = "team"
    assert admin.post(reverse("settings:access"), data).status_code == 302
    assert fresh(world.owner).scope_for("reports") == "team"
    data["manager-reports"] = "nonsense"
    assert admin.post(reverse("settings:access"), data).status_code == 400
    assert fresh(world.owner).scope_for("reports") == "team"
