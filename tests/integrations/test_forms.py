"""Web forms through the real endpoint ``/forms/<slug>/``: leads made by quick add's service, dedupe by phone
and email, round-robin, UTM and referrer, the spam defences, and the log of every post."""

from __future__ import annotations

import re
import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client as HttpClient

from tests.factories import make_client, make_user
from voronka.activities.models import Task
from voronka.catalog.models import Campaign, Channel
from voronka.deals.models import Deal
from voronka.events.models import OutboxEvent
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.models import FormSubmission, SubmissionStatus


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form(world):
    return save_lead_form(actor=world.admin, slug="site", title="Заявка с сайта", pipeline=world.pipeline,
                          assign_mode="fixed", assignee=world.owner, source=world.source)


def _page(http, slug="site", query=""):
    response = http.get(f"/forms/{slug}/{query}", HTTP_REFERER="https://ads.example/landing")
    assert response.status_code == 200
    html = response.content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(utm_[a-z]+|referrer)" value="([^"]*)"', html))
    return token, hidden


def _aged(token: str, seconds: float) -> str:
    """The same stamp, as if the page had been shown ``seconds`` earlier (a person filling it in)."""
    data = signing.loads(token, salt="voronka.integrations.form")
    data["t"] -= seconds
    return signing.dumps(data, salt="voronka.integrations.form", compress=True)


def _post(http, values, *, slug="site", query="", age=10.0, **extra):
    token, hidden = _page(http, slug, query)
    data = {**hidden, "form_token": _aged(token, age), "website": "", **values}
    return http.post(f"/forms/{slug}/", data, **extra)


def test_a_submission_creates_client_deal_and_first_task_for_the_assignee(world, form):
    http = HttpClient(enforce_csrf_checks=True)  # no CSRF cookie from another site: exempt
    response = _post(http, {"name": "Ирина Смирнова", "phone": "8 (916) 123-45-67", "email": "Irina@Example.RU",
                            "comment": "Нужен перевод сайта"})
    assert response.status_code == 200 and 'id="form-thanks"' in response.content.decode()
    deal = Deal.objects.get()
    assert deal.pipeline == world.pipeline and deal.owner == world.owner and deal.status == "open"
    client = deal.client
    assert (client.name, client.phone, client.email, client.responsible) == (
        "Ирина Смирнова", "+79161234567", "irina@example.ru", world.owner)
    assert client.source == world.source and deal.source == world.source
    task = Task.objects.get(deal=deal)
    assert task.assignee == world.owner and task.status == "open"
    assert deal.activities.filter(kind="note", body__contains="Нужен перевод сайта").exists()
    submission = FormSubmission.objects.get()
    assert (submission.status, submission.deal, submission.client, submission.existing_client) == (
        SubmissionStatus.ACCEPTED, deal, client, False)
    assert submission.referrer == "https://ads.example/landing"
    event = OutboxEvent.objects.get(verb="form.submitted")
    assert event.target_id == str(deal.pk) and event.payload["data"]["form"] == "site"


def test_a_known_phone_attaches_the_new_deal_to_the_existing_client(world, form):
    known = make_client(world.teammate, name="ООО Известный", phone="+7 916 000-00-01")
    response = _post(HttpClient(), {"name": "Пётр", "phone": "89160000001"})
    assert response.status_code == 200
    deal = Deal.objects.get()
    assert deal.client == known
    from voronka.clients.models import Client
    assert Client.objects.count() == 1
    assert FormSubmission.objects.get().existing_client


def test_a_known_email_attaches_too(world, form):
    known = make_client(world.owner, name="ООО Почта", email="info@pochta.ru")
    _post(HttpClient(), {"name": "Анна", "email": "INFO@pochta.ru"})
    assert Deal.objects.get().client == known


def test_utm_parameters_map_to_source_channel_and_campaign(world, form):
    channel = Channel.objects.create(name="cpc")
    campaign = Campaign.objects.create(name="winter-sale")
    _post(HttpClient(), {"name": "Олег", "phone": "+79160000002"},
          query="?utm_source=%D0%A1%D0%B0%D0%B9%D1%82&utm_medium=cpc&utm_campaign=winter-sale&utm_term=crm")
    deal = Deal.objects.get()
    assert (deal.source, deal.channel, deal.campaign) == (world.source, channel, campaign)
    submission = FormSubmission.objects.get()
    assert submission.utm == {"utm_source": "Сайт", "utm_medium": "cpc", "utm_campaign": "winter-sale",
                              "utm_term": "crm"}


def test_round_robin_gives_the_leads_to_the_team_in_turn(world):
    save_lead_form(actor=world.admin, slug="rr", title="RR", pipeline=world.pipeline, assign_mode="round_robin",
                   team=world.team)
    http = HttpClient()
    for n in range(4):
        assert _post(http, {"name": f"Клиент {n}", "phone": f"+7916111000{n}"}, slug="rr").status_code == 200
    owners = list(Deal.objects.order_by("id").values_list("owner__username", flat=True))
    team = sorted([world.owner, world.teammate, world.lead], key=lambda u: u.pk)
    expected = [u.username for u in team]
    assert owners == [*expected, expected[0]]


@pytest.mark.parametrize(("values", "reason", "status"), [
    ({"name": "Бот", "phone": "+79160000003", "website": "http://spam.example"}, "honeypot", 200),
    ({"name": "Анна"}, "invalid", 400),
    ({"name": "Анна", "phone": "12"}, "invalid", 400),
    ({"name": "Анна", "email": "not-an-email"}, "invalid", 400),
    ({"phone": "+79160000004"}, "invalid", 400),
    ({"name": "я" * 201, "phone": "+79160000004"}, "invalid", 400),
])
def test_rejected_posts_create_nothing_and_are_logged_with_the_reason(world, form, values, reason, status):
    response = _post(HttpClient(), values)
    assert response.status_code == status
    assert not Deal.objects.exists()
    submission = FormSubmission.objects.get()
    assert (submission.status, submission.reason) == (SubmissionStatus.REJECTED, reason)
    if status == 400:
        assert 'role="alert"' in response.content.decode()


def test_a_post_faster_than_a_person_is_rejected(world, form):
    response = _post(HttpClient(), {"name": "Бот", "phone": "+79160000005"}, age=0.5)
    assert response.status_code == 400
    assert FormSubmission.objects.get().reason == "too_fast" and not Deal.objects.exists()


@pytest.mark.parametrize("token", ["", "garbage", "forged:token"])
def test_a_post_without_a_valid_stamp_is_rejected(world, form, token):
    response = HttpClient().post("/forms/site/", {"name": "Бот", "phone": "+79160000006", "form_token": token})
    assert response.status_code == 400
    assert FormSubmission.objects.get().reason == "bad_token" and not Deal.objects.exists()


def test_a_stamp_of_another_form_is_rejected(world, form):
    save_lead_form(actor=world.admin, slug="other", title="Другая", pipeline=world.pipeline, assign_mode="fixed",
                   assignee=world.owner)
    token, _hidden = _page(HttpClient(), "other")
    time.sleep(0)  # the stamp is aged below instead of waiting
    response = HttpClient().post("/forms/site/", {"name": "А", "phone": "+79160000007",
                                                  "form_token": _aged(token, 10)})
    assert response.status_code == 400 and FormSubmission.objects.get().reason == "bad_token"


def test_the_rate_per_ip_is_limited(world, form, settings):
    settings.VORONKA_FORM_RATE_PER_MINUTE = 2
    http = HttpClient()
    codes = [_post(http, {"name": f"К{n}", "phone": f"+7916222000{n}"}).status_code for n in range(4)]
    assert codes == [200, 200, 429, 429]
    assert Deal.objects.count() == 2
    assert FormSubmission.objects.filter(reason="rate_limited").count() == 2


def test_an_unknown_or_switched_off_form_is_a_404(world, form):
    assert HttpClient().get("/forms/nope/").status_code == 404
    save_lead_form(actor=world.admin, slug="site", title="Заявка", pipeline=world.pipeline, assign_mode="fixed",
                   assignee=world.owner, is_active=False)
    assert HttpClient().get("/forms/site/").status_code == 404
    assert HttpClient().post("/forms/site/", {"name": "x"}).status_code == 404


def test_only_admins_define_forms(world):
    from voronka.core.errors import Forbidden

    with pytest.raises(Forbidden):
        save_lead_form(actor=world.lead, slug="x", title="X", pipeline=world.pipeline, assign_mode="fixed",
                       assignee=world.owner)


def test_an_inactive_fixed_manager_is_refused(world):
    from voronka.core.errors import DomainError

    gone = make_user("gone", is_active=False)
    with pytest.raises(DomainError) as info:
        save_lead_form(actor=world.admin, slug="x", title="X", pipeline=world.pipeline, assign_mode="fixed",
                       assignee=gone)
    assert info.value.field == "assignee"


def test_a_submission_is_sent_to_the_form_submitted_webhook(world, form, receiver,
                                                            django_capture_on_commit_callbacks):
    from voronka.integrations.services import create_subscription

    create_subscription(actor=world.admin, name="Leads", target_url=receiver.url, event_types=["form.submitted"])
    with django_capture_on_commit_callbacks(execute=True):
        _post(HttpClient(), {"name": "Вера", "phone": "+79163330001"}, query="?utm_source=yandex")
    assert [r.json["type"] for r in receiver.requests] == ["form.submitted"]
    body = receiver.requests[0].json
    deal = Deal.objects.get()
    assert body["object"] == {"type": "deal", "id": deal.pk}
    assert body["data"]["utm"] == {"utm_source": "yandex"} and body["data"]["form"] == "site"


def test_least_loaded_gives_the_lead_to_the_member_with_the_fewest_open_deals(world):
    from tests.factories import make_deal

    for _ in range(2):
        make_deal(world.owner, world.pipeline)
    make_deal(world.lead, world.pipeline)
    save_lead_form(actor=world.admin, slug="ll", title="LL", pipeline=world.pipeline, assign_mode="least_loaded",
                   team=world.team)
    http = HttpClient()
    for n in range(3):
        _post(http, {"name": f"Клиент {n}", "phone": f"+7916777000{n}"}, slug="ll")
    new = list(Deal.objects.filter(title__startswith="LL").order_by("id").values_list("owner__username", flat=True))
    # open deals before: owner 2, lead 1, teammate 0; ties go by the turn (after teammate comes lead, then
    # owner at 2 is not tied, so teammate again)
    assert new == ["teammate", "lead", "teammate"]
