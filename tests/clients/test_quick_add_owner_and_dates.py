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


# --- the duplicate check while typing ---------------------------------------------------------------------

CHECK = "/leads/new/check/"


def test_live_check_finds_the_own_client_by_a_phone_in_another_format(client, world):
    from tests.factories import make_client

    mine = make_client(world.owner, phone="+79161234567", inn="7707083893")
    client.force_login(world.owner)
    html = client.get(CHECK, {"phone": "8 (916) 123-45-67", "email": "", "inn": ""}).content.decode()
    assert f'data-live-match="{mine.pk}"' in html and f'/clients/{mine.pk}/' in html
    html = client.get(CHECK, {"inn": "7707 083 893"}).content.decode()
    assert f'data-live-match="{mine.pk}"' in html


def test_live_check_names_a_colleagues_client_without_a_link(client, world):
    from tests.factories import make_client

    other = make_client(world.outsider, email="boss@vector.ru")
    client.force_login(world.owner)
    html = client.get(CHECK, {"email": "BOSS@vector.ru"}).content.decode()
    assert other.name in html and f'/clients/{other.pk}/' not in html and str(world.outsider) in html


def test_live_check_of_nothing_or_garbage_is_empty(client, world):
    client.force_login(world.owner)
    for params in ({}, {"phone": "12"}, {"email": "no-at"}, {"inn": "１２３"}):
        response = client.get(CHECK, params)
        assert response.status_code == 200 and "data-live-match" not in response.content.decode()


def test_the_form_wires_the_live_check(client, world):
    client.force_login(world.owner)
    html = client.get(URL).content.decode()
    assert 'hx-get="/leads/new/check/"' in html and 'id="live-duplicates"' in html


def test_an_analyst_cannot_use_the_live_check(client, world):
    client.force_login(world.analyst)
    assert client.get(CHECK, {"phone": "+79161234567"}).status_code == 403


def test_first_stage_required_fields_are_marked_before_the_first_submit(client, world, django_assert_max_num_queries):
    import json

    from voronka.pipelines.models import Stage

    client.force_login(world.owner)
    chosen = client.get(URL).context["form"]["pipeline"].value()
    first = Stage.objects.filter(pipeline_id=chosen, is_archived=False).order_by("position", "id").first()
    first.required_fields = ["source", "channel"]
    first.save(update_fields=["required_fields"])
    with django_assert_max_num_queries(30):
        response = client.get(URL)
    form = response.context["form"]
    assert json.loads(form.fields["pipeline"].widget.attrs["data-required-map"])[str(chosen)] == [
        "channel", "source"]
    page = response.content.decode()
    for name in ("source", "channel"):
        assert f'id="id_{name}"' in page
        tag = page[page.index(f'id="id_{name}"') - 300:page.index(f'id="id_{name}"') + 300]
        assert 'aria-required="true"' in tag, tag
        assert f'<label for="id_{name}">' in page
        label = page[page.index(f'<label for="id_{name}">'):]
        assert label[:label.index("</label>")].endswith('<span class="req" aria-hidden="true">*</span>')
    first.required_fields = []
    first.save(update_fields=["required_fields"])
    page = client.get(URL).content.decode()
    label = page[page.index('<label for="id_source">'):]
    assert "req" not in label[:label.index("</label>")]
