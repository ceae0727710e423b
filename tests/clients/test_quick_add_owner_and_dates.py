"""Quick add: a lead or head chooses the responsible manager (within scope, checked in the service); the first
task and the expected close date are never in the past."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.clients.test_views_quick_add import URL, counts, lead_data
from voronka.core.errors import DomainError
from voronka.deals.leads import create_lead
from voronka.deals.models import Deal

pytestmark = pytest.mark.django_db


def yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def test_a_first_task_in_the_past_is_refused_on_its_field(client, world):
    client.force_login(world.owner)
    before = counts()
    response = client.post(URL, lead_data(world, task_due_date=yesterday()))
    assert response.status_code == 400 and "task_due_date" in response.context["form"].errors
    assert counts() == before


def test_the_service_refuses_a_past_close_date_and_a_past_first_task(world):
    task = {"title": "Позвонить", "kind": "call", "due_date": timezone.localdate()}
    with pytest.raises(DomainError) as err:
        create_lead(actor=world.owner, client={"name": "ООО Прошлое"},
                    deal={"pipeline": world.pipeline, "expected_close_date": yesterday()}, task=task)
    assert err.value.field == "expected_close_date"
    with pytest.raises(DomainError) as err:
        create_lead(actor=world.owner, client={"name": "ООО Прошлое"}, deal={"pipeline": world.pipeline},
                    task={**task, "due_date": yesterday()})
    assert err.value.field == "task_due_date"
    assert not Deal.objects.filter(client__name="ООО Прошлое").exists()


def test_a_lead_gives_the_new_lead_to_a_manager_of_his_team(client, world):
    client.force_login(world.lead)
    page = client.get(URL).content.decode()
    assert 'name="owner"' in page and str(world.teammate) in page and str(world.outsider) not in page
    response = client.post(URL, lead_data(world, owner=world.teammate.pk))
    assert response.status_code == 302
    deal = Deal.objects.get(client__name="ООО Новый клиент")
    assert deal.owner == world.teammate and deal.client.responsible == world.teammate
    assert deal.tasks.get().assignee == world.teammate


def test_a_lead_cannot_give_it_outside_his_team(client, world):
    client.force_login(world.lead)
    before = counts()
    response = client.post(URL, lead_data(world, owner=world.outsider.pk))
    assert response.status_code == 400 and "owner" in response.context["form"].errors
    assert counts() == before


def test_the_service_checks_the_owner_too(world):
    with pytest.raises(DomainError):
        create_lead(actor=world.lead, client={"name": "ООО Чужой"}, deal={"pipeline": world.pipeline},
                    task={"title": "Позвонить", "due_date": timezone.localdate()}, owner=world.outsider)
    assert not Deal.objects.filter(client__name="ООО Чужой").exists()


def test_a_manager_has_no_owner_choice(client, world):
    client.force_login(world.owner)
    assert 'name="owner"' not in client.get(URL).content.decode()
