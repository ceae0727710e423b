"""The "Complete task" dialog: GET renders it, POST completes with an outcome or shows field errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dbstate import open_tasks, unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.activities.models import Task
from voronka.activities.services import create_task
from voronka.deals.models import Deal

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "modal-root"}


def today(days: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def url(task_or_id) -> str:
    pk = getattr(task_or_id, "pk", task_or_id)
    return reverse("activities:complete", args=[pk])


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline, title="Перевод сайта")


@pytest.fixture
def task(deal):
    return open_tasks(deal)[0]


@pytest.fixture
def owner_client(client, world):
    client.force_login(world.owner)
    return client


def post(c, task, **data):
    return c.post(url(task), data, **HTMX)


# --- GET ---------------------------------------------------------------------------------------------

def test_it_requires_login(client, task):
    response = client.get(url(task))
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_get_renders_the_dialog_with_outcomes_and_the_stage_rulebook(owner_client, task, deal):
    stage = deal.stage
    stage.goal = "Связаться за 15 минут"
    stage.instructions = "1. Позвонить\n2. Записать ответы"
    stage.max_days = 2
    stage.save()
    from voronka.clients.models import Question, QuestionSet
    from voronka.pipelines.models import StageQuestion

    StageQuestion.objects.create(stage=stage, question=Question.objects.create(
        question_set=QuestionSet.objects.create(name="Q"), text="Какой объём перевода?"))
    response = owner_client.get(url(task), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<dialog data-autoopen" in html
    for value in ("result", "postpone", "refusal"):
        assert f'value="{value}"' in html
    assert 'class="rulebook' in html
    for text in (stage.name, "Связаться за 15 минут", "Позвонить", "Какой объём перевода?"):
        assert text in html
    assert 'name="lost_reason"' in html and "Нет денег" in html
    # the last open task of an open deal: the dialog says a next task is required
    assert response.context["needs_next"] is True


def test_get_without_htmx_renders_a_full_page(owner_client, task):
    response = owner_client.get(url(task))
    assert response.status_code == 200
    assert "<dialog" not in response.content.decode()
    assert 'name="outcome"' in response.content.decode()


def test_other_managers_task_is_404(client, world, task):
    client.force_login(world.outsider)
    assert client.get(url(task), **HTMX).status_code == 404
    with unchanged():
        assert post(client, task, outcome="postpone", comment="x", postpone_to=today(2)).status_code == 404


def test_the_lead_of_the_owner_may_open_it(client, world, task):
    client.force_login(world.lead)
    assert client.get(url(task), **HTMX).status_code == 200


@pytest.mark.parametrize("bad", [0, 999999, 10**25])
def test_bad_ids_are_404(owner_client, bad):
    assert owner_client.get(f"/tasks/{bad}/complete/", **HTMX).status_code == 404
    assert owner_client.post(f"/tasks/{bad}/complete/", {"outcome": "result"}, **HTMX).status_code == 404


def test_a_closed_task_says_so(owner_client, world, task):
    create_task(actor=world.owner, deal=task.deal, **task_spec(2))
    post(owner_client, task, outcome="result", comment="Готово")
    response = owner_client.get(url(task), **HTMX)
    assert response.status_code == 200
    assert response.context["task_closed"] is True
    assert 'type="submit"' not in response.content.decode()
    with unchanged():
        response = post(owner_client, task, outcome="result", comment="Ещё раз")
    assert response.status_code == 200
    assert response.context["task_closed"] is True


# --- Result ------------------------------------------------------------------------------------------

def test_result_with_next_task_completes_and_triggers_refresh(owner_client, task, deal):
    response = post(owner_client, task, outcome="result", comment="Поговорили, ждут КП",
                    next_title="Отправить КП", next_kind="email", next_due_date=today(1), next_due_time="11:30")
    assert response.status_code == 200
    events = json.loads(response["HX-Trigger"])
    assert events["voronka:closeDialog"] is True and events["tasksChanged"] is True
    assert events["taskCompleted"]["id"] == task.pk
    task.refresh_from_db()
    assert (task.status, task.outcome, task.outcome_comment) == ("done", "result", "Поговорили, ждут КП")
    follow = task.follow_up
    assert (follow.title, follow.kind, follow.due_date.isoformat(), follow.due_time.strftime("%H:%M")) == (
        "Отправить КП", "email", today(1), "11:30")
    assert follow.deal_id == deal.pk and follow.status == "open"


def test_result_without_next_task_on_the_last_task_shows_field_errors_and_writes_nothing(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="result", comment="Поговорили", next_due_date=today(1))
    assert response.status_code == 200
    form = response.context["form"]
    assert "next_title" in form.errors
    assert "next_due_date" not in form.errors  # it was filled in
    html = response.content.decode()
    assert "<dialog data-autoopen" in html and 'id="id_next_title_error"' in html
    assert response.context["needs_next"] is True


def test_result_without_next_task_and_without_date_marks_both_fields(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="result", comment="Поговорили")
    assert {"next_title", "next_due_date"} <= set(response.context["form"].errors)


def test_result_without_next_task_is_fine_when_the_deal_has_another_open_task(owner_client, world, task):
    create_task(actor=world.owner, deal=task.deal, **task_spec(3))
    response = post(owner_client, task, outcome="result", comment="Отправили письмо", next_due_date=today(1))
    assert response.status_code == 200 and "HX-Trigger" in response
    task.refresh_from_db()
    assert task.status == "done" and task.follow_up is None


def test_next_task_with_a_title_but_a_bad_date_is_a_field_error(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="result", comment="ok", next_title="Позвонить",
                        next_due_date="31.02.2026")
    assert response.status_code == 200
    assert "next_due_date" in response.context["form"].errors


def test_missing_comment_is_a_field_error(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="result", comment="  ", next_title="Позвонить",
                        next_due_date=today(1))
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors


def test_missing_or_unknown_outcome_is_a_field_error(owner_client, task):
    with unchanged():
        for outcome in ("", "win"):
            response = post(owner_client, task, outcome=outcome, comment="Что-то")
            assert response.status_code == 200
            assert "outcome" in response.context["form"].errors


# --- Postpone ----------------------------------------------------------------------------------------

def test_postpone_creates_the_follow_up_on_the_new_date(owner_client, task):
    response = post(owner_client, task, outcome="postpone", comment="Попросили перезвонить", postpone_to=today(5))
    assert response.status_code == 200 and "HX-Trigger" in response
    task.refresh_from_db()
    assert task.outcome == "postpone"
    assert task.follow_up.due_date.isoformat() == today(5)
    assert task.follow_up.title == task.title


def test_postpone_without_date_is_a_field_error(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="postpone", comment="Перезвонить")
    assert response.status_code == 200
    assert "postpone_to" in response.context["form"].errors


def test_postpone_to_the_past_is_a_field_error(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="postpone", comment="Перезвонить", postpone_to=today(-1))
    assert response.status_code == 200
    assert "postpone_to" in response.context["form"].errors
    assert f'value="{today(-1)}"' in response.content.decode()  # the entered date is kept


def test_postpone_with_garbage_date_is_a_field_error(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="postpone", comment="Перезвонить", postpone_to="завтра")
    assert response.status_code == 200
    assert "postpone_to" in response.context["form"].errors


# --- Refusal -----------------------------------------------------------------------------------------

def test_refusal_with_reason_loses_the_deal(owner_client, world, task, deal):
    response = post(owner_client, task, outcome="refusal", comment="Дорого", lost_reason=world.reason.pk,
                    lost_comment="Бюджет на следующий год")
    assert response.status_code == 200 and "HX-Trigger" in response
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.status == "lost" and deal.lost_reason_id == world.reason.pk
    assert deal.lost_comment == "Бюджет на следующий год"


def test_refusal_without_reason_is_a_field_error(owner_client, task):
    with unchanged():
        response = post(owner_client, task, outcome="refusal", comment="Дорого")
    assert response.status_code == 200
    assert "lost_reason" in response.context["form"].errors


@pytest.mark.parametrize("bad", ["abc", "999999", "-1"])
def test_refusal_with_unknown_reason_is_a_field_error(owner_client, task, bad):
    with unchanged():
        response = post(owner_client, task, outcome="refusal", comment="Дорого", lost_reason=bad)
    assert response.status_code == 200
    assert "lost_reason" in response.context["form"].errors


def test_refusal_on_a_client_task_puts_the_client_on_the_refusal_list(owner_client, world):
    c = make_client(world.owner)
    task = create_task(actor=world.owner, client=c, **task_spec(0))
    response = post(owner_client, task, outcome="refusal", comment="Не интересно", lost_reason=world.reason.pk)
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.status == "refused"


def test_refusal_blocked_by_required_fields_shows_the_message_and_writes_nothing(owner_client, world):
    stage = world.pipeline.stages.get(slug="proposal")  # requires amount
    deal = make_deal(world.owner, world.pipeline, stage=stage, values={"amount": 1000})
    Deal.objects.filter(pk=deal.pk).update(amount=0)
    task = open_tasks(deal)[0]
    with unchanged():
        response = post(owner_client, task, outcome="refusal", comment="Дорого", lost_reason=world.reason.pk)
    assert response.status_code == 200
    assert response.context["form"].errors


# --- Permissions, fallbacks --------------------------------------------------------------------------

def test_analyst_gets_no_dialog_and_cannot_complete(client, world, task):
    client.force_login(world.analyst)
    assert client.get(url(task)).status_code == 403
    with unchanged():
        response = post(client, task, outcome="postpone", comment="x", postpone_to=today(1))
    assert response.status_code == 403


def test_without_htmx_success_redirects_to_next_or_my_day(owner_client, task):
    response = owner_client.post(url(task), {"outcome": "postpone", "comment": "Позже", "postpone_to": today(2),
                                             "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("web:my_day")
    follow = Task.objects.get(pk=task.pk).follow_up
    response = owner_client.post(url(follow), {"outcome": "postpone", "comment": "Позже", "postpone_to": today(3),
                                               "next": "/deals/"})
    assert response["Location"] == "/deals/"


def test_get_and_post_only(owner_client, task):
    assert owner_client.put(url(task)).status_code == 405
