"""The Django admin cannot break invariants: records that only services may write are read-only there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.dbstate import unchanged
from tests.factories import make_deal
from voronka.activities.models import Activity, Task
from voronka.audit.models import AuditEntry
from voronka.clients.models import Client, Contact, QualificationAnswer, Question, QuestionSet
from voronka.clients.services import add_contact, answer_questions
from voronka.deals.models import Deal, DealLine, StageTransition
from voronka.deals.services import set_deal_lines

pytestmark = pytest.mark.django_db

READ_ONLY = (Deal, DealLine, Task, StageTransition, Activity, AuditEntry, Client, Contact, QualificationAnswer)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def rows(world):
    deal = make_deal(world.owner, world.pipeline)
    set_deal_lines(actor=world.owner, deal=deal, lines=[{"product": world.product, "quantity": 1}])
    add_contact(actor=world.owner, client=deal.client, name="Анна")
    question = Question.objects.create(question_set=QuestionSet.objects.create(name="Квалификация"), text="Бюджет?")
    answer_questions(actor=world.owner, client=deal.client, answers={question.pk: "Есть"})
    return deal


@pytest.fixture
def admin_http(client, world):
    client.force_login(world.admin)
    return client


def _first(model):
    return model._base_manager.order_by("pk").first()


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m._meta.label)
def test_the_admin_lists_and_shows_but_cannot_add_change_or_delete(admin_http, rows, model):
    obj = _first(model)
    assert admin_http.get(_url(model, "changelist"), {"q": "x"}).status_code == 200
    page = admin_http.get(_url(model, "change", obj.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    with unchanged():
        assert admin_http.get(_url(model, "add")).status_code == 403
        assert admin_http.post(_url(model, "add"), {}).status_code == 403
        assert admin_http.post(_url(model, "change", obj.pk), {}).status_code == 403
        assert admin_http.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert admin_http.post(_url(model, "changelist"),
                               {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
                               ).status_code in (200, 302, 403)
    assert model._base_manager.filter(pk=obj.pk).exists()


def test_the_deal_admin_cannot_move_or_win_a_deal(admin_http, world, rows):
    signed = world.pipeline.stages.get(slug="signed")
    with unchanged():
        response = admin_http.post(_url(Deal, "change", rows.pk), {
            "title": rows.title, "pipeline": world.pipeline.pk, "stage": signed.pk, "client": rows.client_id,
            "owner": world.outsider.pk, "status": "won", "amount": "1", "currency": "RUB"})
    assert response.status_code == 403
    assert Deal.objects.get(pk=rows.pk).stage.slug == "received"


def test_the_system_actor_is_not_in_the_user_admin(admin_http, world):
    assert admin_http.get(_url(world.system, "change", world.system.pk)).status_code == 302
    assert world.system.username not in admin_http.get(_url(world.system, "changelist")).content.decode()
