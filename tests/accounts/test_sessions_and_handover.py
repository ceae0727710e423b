"""Active sessions with "sign out everywhere", and deactivation that hands the work over in one step."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.urls import reverse

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal, sign_in, task_spec
from voronka.accounts.models import ApiToken, UserSession
from voronka.accounts.services import create_api_token, update_user
from voronka.activities.models import Task
from voronka.activities.services import create_task
from voronka.clients.models import Client
from voronka.core.errors import DomainError, Forbidden
from voronka.deals.models import Deal
from voronka.deals.services import deactivate_user, win_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _browser(username: str, agent: str) -> HttpClient:
    http = HttpClient(HTTP_USER_AGENT=agent)
    assert sign_in(http, username, "demo")
    return http


def _signed_in(http: HttpClient) -> bool:
    return http.get(reverse("web:my_day")).status_code == 200


def test_each_sign_in_is_listed_and_sign_out_removes_it(world):
    laptop = _browser("owner", "Laptop Firefox")
    phone = _browser("owner", "Phone Safari")
    assert UserSession.objects.filter(user=world.owner).count() == 2
    page = laptop.get(reverse("accounts:sessions"))
    assert page.status_code == 200
    assert b"Laptop Firefox" in page.content and b"Phone Safari" in page.content
    assert page.content.count(b"this browser") == 1
    assert laptop.session.session_key.encode() not in page.content  # the key is a secret
    phone.post(reverse("web:logout"))
    assert list(UserSession.objects.filter(user=world.owner).values_list("user_agent", flat=True)) == [
        "Laptop Firefox"]


def test_sign_out_everywhere_else_keeps_this_browser(world):
    laptop = _browser("owner", "Laptop")
    phone = _browser("owner", "Phone")
    other = _browser("teammate", "Teammate")
    response = laptop.post(reverse("accounts:sessions"), follow=True)
    assert b"Signed out of 1 other browser" in response.content
    assert _signed_in(laptop)
    assert not _signed_in(phone)
    assert _signed_in(other)
    assert UserSession.objects.filter(user=world.owner).count() == 1


def test_one_session_ends_and_another_users_session_is_not_found(world):
    laptop = _browser("owner", "Laptop")
    phone = _browser("owner", "Phone")
    other = _browser("teammate", "Teammate")
    phone_entry = UserSession.objects.get(user=world.owner, user_agent="Phone")
    assert other.post(reverse("accounts:session_end", args=[phone_entry.pk])).status_code == 404
    assert _signed_in(phone)
    laptop.post(reverse("accounts:session_end", args=[phone_entry.pk]))
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_sessions_page_query_count(world, django_assert_max_num_queries):
    browsers = [_browser("owner", f"Browser {n}") for n in range(5)]
    with django_assert_max_num_queries(12):
        assert browsers[0].get(reverse("accounts:sessions")).status_code == 200


# --- deactivation ---------------------------------------------------------------------------------------------

@pytest.fixture
def work(world):
    """The owner's open deals, a won deal, a client task, a task on a teammate's deal, his clients."""
    open_deals = [make_deal(world.owner, world.pipeline, values={"amount": "100"}) for _ in range(2)]
    won = make_deal(world.owner, world.pipeline, values={"amount": "50", "expected_close_date": "2099-12-31"})
    win_deal(actor=world.owner, deal=won, values={"amount": "50", "expected_close_date": "2099-12-31"})
    lonely_client = make_client(world.owner, name="ООО Без сделок")
    create_task(actor=world.owner, client=lonely_client, **task_spec(title="Позвонить клиенту"))
    teammates_deal = make_deal(world.teammate, world.pipeline)
    create_task(actor=world.lead, deal=teammates_deal, assignee=world.owner, **task_spec(title="Помочь"))
    return {"open": open_deals, "won": won, "client": lonely_client, "teammates_deal": teammates_deal}


def test_deactivating_a_user_with_open_work_is_refused_without_a_hand_over(world, work):
    with unchanged(), pytest.raises(DomainError) as refusal:
        update_user(actor=world.admin, user=world.owner, role=world.owner.role, team=world.owner.team,
                    is_active=False)
    assert refusal.value.field == "is_active"
    assert "hand over" in refusal.value.message
    world.owner.refresh_from_db()
    assert world.owner.is_active


def test_deactivate_hands_everything_over_and_ends_access(world, work):
    browser = _browser("owner", "Laptop")
    _token, raw = create_api_token(actor=world.owner, name="script", scope="write")
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/deals").status_code == 200
    clients_before = set(Client.objects.filter(responsible=world.owner).values_list("pk", flat=True))

    moved = deactivate_user(actor=world.admin, user=world.owner, deals_to=world.teammate, clients_to=world.lead)

    assert moved == {"deals": 2, "tasks": 4, "clients": len(clients_before)}
    assert set(Deal.objects.filter(status="open", owner=world.teammate).values_list("pk", flat=True)) >= {
        d.pk for d in work["open"]}
    assert not Deal.objects.filter(status="open", owner=world.owner).exists()
    assert Deal.objects.get(pk=work["won"].pk).owner_id == world.owner.pk  # history stays his
    assert not Task.objects.filter(assignee=world.owner, status="open").exists()
    assert Task.objects.get(title="Помочь").assignee_id == world.teammate.pk
    assert set(Client.objects.filter(responsible=world.lead).values_list("pk", flat=True)) >= clients_before
    world.owner.refresh_from_db()
    assert not world.owner.is_active
    assert not _signed_in(browser)
    assert not Session.objects.filter(pk__in=UserSession.objects.filter(user=world.owner).values("session_id")).exists()
    assert ApiToken.objects.get(user=world.owner).revoked_at is not None
    assert api.get("/api/v1/deals").status_code == 401


@pytest.mark.parametrize("recipient, error", [("analyst", DomainError), ("owner", DomainError),
                                              ("outsider", None)])
def test_hand_over_is_all_or_nothing(world, work, recipient, error):
    """A recipient who cannot take the work: nothing moves, the user stays active."""
    actor = world.admin if recipient != "outsider" else world.lead
    with unchanged(), pytest.raises(error or (DomainError, Forbidden)):
        deactivate_user(actor=actor, user=world.owner, deals_to=getattr(world, recipient))
    world.owner.refresh_from_db()
    assert world.owner.is_active


def test_deactivate_page_previews_and_hands_over(world, work, django_assert_max_num_queries):
    admin = HttpClient()
    admin.force_login(world.admin)
    url = reverse("settings:user_deactivate", args=[world.owner.pk])
    with django_assert_max_num_queries(15):
        page = admin.get(url)
    assert page.status_code == 200
    assert b"2 open deals" in page.content and b"4 open tasks" in page.content
    assert admin.get(reverse("settings:user", args=[world.owner.pk])).content.count(b"deactivate-link") == 1
    refused = admin.post(url, {"deals_to": ""})
    assert refused.status_code == 400 and b"Choose who takes the work over" in refused.content
    done = admin.post(url, {"deals_to": str(world.teammate.pk)}, follow=True)
    assert b"deactivated" in done.content
    world.owner.refresh_from_db()
    assert not world.owner.is_active
    assert Client.objects.filter(responsible=world.teammate, pk=work["client"].pk).exists()
    manager = HttpClient()
    manager.force_login(world.teammate)
    assert manager.get(url).status_code in (403, 404)
