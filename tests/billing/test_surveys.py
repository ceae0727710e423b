"""After-sales surveys: N days after won (per pipeline) the contact gets a tokenized link by email (a real SMTP
server), the answer lands on the client's timeline, a low score tasks the team lead, NPS over the scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from tests.factories import make_client, make_deal
from voronka.activities.models import Activity, Task
from voronka.billing.models import Survey
from voronka.billing.surveys import answer_survey, nps, send_due_surveys, set_survey_days
from voronka.clients.services import add_contact
from voronka.core.errors import DomainError, Forbidden
from voronka.deals.services import win_deal

pytestmark = pytest.mark.django_db


def _won(world, owner=None, email="anna@romashka.example"):
    owner = owner or world.owner
    client = make_client(owner)
    add_contact(actor=owner, client=client, name="Анна", email=email, is_primary=True)
    deal = make_deal(owner, world.pipeline, client=client, values={"amount": "1000", "expected_close_date": "2030-01-01"})
    return win_deal(actor=owner, deal=deal)


def _link(message) -> str:
    text = message.get_payload(decode=True).decode() if not message.is_multipart() else \
        message.get_payload(0).get_payload(decode=True).decode()
    return re.search(r"https?://\S+/survey/(\S+)/", text).group(1)


def test_survey_sent_after_n_days_answered_once_on_the_timeline_and_low_score_tasks_the_lead(world, smtp_server):
    set_survey_days(actor=world.admin, pipeline=world.pipeline, days=7)
    deal = _won(world)
    assert send_due_surveys(now=timezone.now() + dt.timedelta(days=6)) == 0
    assert send_due_surveys(now=timezone.now() + dt.timedelta(days=8)) == 1
    assert send_due_surveys(now=timezone.now() + dt.timedelta(days=9)) == 0  # once
    [message] = smtp_server.wait(1)
    assert message["To"] == "anna@romashka.example"
    token = _link(message)
    http = HttpClient()
    page = http.get(f"/survey/{token}/")
    assert page.status_code == 200 and deal.client.name in page.content.decode()
    assert http.post(f"/survey/{token}/", {"score": "11"}).status_code == 400
    done = http.post(f"/survey/{token}/", {"score": "3", "comment": "Долго ждали"})
    assert done.status_code == 200
    survey = Survey.objects.get(deal=deal)
    assert (survey.score, survey.comment) == (3, "Долго ждали")
    entry = Activity.objects.get(client=deal.client, data__survey=survey.pk)
    assert "3" in entry.body and "Долго ждали" in entry.body
    task = Task.objects.get(client=deal.client, assignee=world.lead)
    assert "3" in task.title
    with pytest.raises(DomainError):
        answer_survey(token=token, score="10")
    assert http.get("/survey/not-a-valid-token-at-all/").status_code == 404


def test_nps_counts_promoters_minus_detractors_in_scope(world, smtp_server):
    set_survey_days(actor=world.admin, pipeline=world.pipeline, days=0)
    scores = [10, 9, 8, 6, 2]
    for n, _score in enumerate(scores):
        _won(world, email=f"c{n}@example.ru")
    hidden = _won(world, owner=world.outsider, email="x@example.ru")
    assert send_due_surveys(now=timezone.now() + dt.timedelta(minutes=1)) == len(scores) + 1
    tokens = {m["To"]: _link(m) for m in smtp_server.wait(len(scores) + 1)}
    for n, score in enumerate(scores):
        answer_survey(token=tokens[f"c{n}@example.ru"], score=str(score))
    answer_survey(token=tokens["x@example.ru"], score="0")
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    expected = round(100 * (promoters - detractors) / len(scores))
    assert nps(actor=world.owner) == {"answers": 5, "promoters": 2, "passives": 1, "detractors": 2,
                                      "nps": expected}
    assert nps(actor=world.head)["answers"] == 6  # everyone's, the outsider's detractor too
    assert Survey.objects.get(deal=hidden).score == 0


def test_survey_settings_are_for_administrators(world):
    with pytest.raises(Forbidden):
        set_survey_days(actor=world.owner, pipeline=world.pipeline, days=3)
    with pytest.raises(DomainError):
        set_survey_days(actor=world.admin, pipeline=world.pipeline, days="400")
    http = HttpClient()
    http.force_login(world.admin)
    response = http.post("/settings/billing/surveys/", {f"days_{world.pipeline.pk}": "14"})
    assert response.status_code == 302
    assert world.pipeline.survey_setting.days_after_won == 14


@pytest.mark.parametrize(("language", "subject", "heading", "error"), [
    ("en", "How did we do?", "How did we do?", "Choose a score from 0 to 10."),
    ("ru", "Как мы сработали?", "Как мы сработали?", "Выберите оценку от 0 до 10."),
])
def test_the_email_and_the_page_are_in_the_clients_language(world, smtp_server, client, language, subject,
                                                            heading, error):
    from voronka.clients.services import update_client

    set_survey_days(actor=world.admin, pipeline=world.pipeline, days=0)
    deal = _won(world)
    update_client(actor=world.owner, client=deal.client, language=language)
    client.cookies["django_language"] = "ru" if language == "en" else "en"  # the visitor's browser says otherwise
    assert send_due_surveys(now=timezone.now() + dt.timedelta(minutes=1)) == 1
    [message] = smtp_server.wait(1)
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(message["Subject"]))).startswith(subject)
    thanks = "Thank you for working with us" if language == "en" else "Спасибо"
    assert thanks in (message.get_payload(decode=True) or message.get_payload(0).get_payload(decode=True)).decode()
    token = _link(message)
    page = client.get(f"/survey/{token}/", HTTP_ACCEPT_LANGUAGE="ru" if language == "en" else "en")
    html = page.content.decode()
    assert heading in html and f'lang="{language}"' in html
    bad = client.post(f"/survey/{token}/", {"score": "12"})
    assert bad.status_code == 400 and error in bad.content.decode()


def test_the_client_language_is_validated_and_defaults_to_russian(world):
    from voronka.clients.services import update_client

    fresh = make_client(world.owner)
    assert fresh.language == "ru"
    with pytest.raises(DomainError) as exc:
        update_client(actor=world.owner, client=fresh, language="de")
    assert exc.value.field == "language"


def test_the_client_card_sets_the_language_and_a_form_without_it_keeps_it(world, client):
    from django.urls import reverse

    target = make_client(world.owner)
    client.force_login(world.owner)
    form = client.get(reverse("clients:edit", args=[target.pk])).content.decode()
    assert 'name="language"' in form
    base = {"kind": "company", "name": target.name, "responsible": world.owner.pk}
    assert client.post(reverse("clients:edit", args=[target.pk]), {**base, "language": "de",
                                                                  "version": target.version}).status_code == 400
    assert client.post(reverse("clients:edit", args=[target.pk]), {**base, "language": "en",
                                                                  "version": target.version}).status_code == 302
    target.refresh_from_db()
    assert target.language == "en"
    assert client.post(reverse("clients:edit", args=[target.pk]), {**base, "website": "x.example",
                                                                  "version": target.version}).status_code == 302
    target.refresh_from_db()
    assert (target.language, target.website) == ("en", "x.example")
