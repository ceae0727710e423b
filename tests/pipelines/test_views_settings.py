"""Settings views of pipelines and stages: access, rulebook editing, ordering, deletion, query caps."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_deal
from voronka.accounts.services import get_system_actor
from voronka.catalog.models import CustomFieldDefinition
from voronka.pipelines.models import Pipeline, Stage
from voronka.pipelines.services import add_stage, create_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def _stages(pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position", "id"))


def settings_urls(world) -> list[str]:
    stage = _stages(world.pipeline)[0]
    p = world.pipeline.pk
    team = world.team.pk
    return [
        reverse("settings:index"), reverse("settings:pipelines"), reverse("settings:pipeline_create"),
        reverse("settings:pipeline_install"), reverse("settings:pipeline", args=[p]),
        reverse("settings:stage_add", args=[p]), reverse("settings:stage_reorder", args=[p]),
        reverse("settings:stage_lint"), reverse("settings:stage", args=[stage.pk]),
        reverse("settings:stage_move", args=[stage.pk]), reverse("settings:stage_delete", args=[stage.pk]),
        reverse("settings:fields"), reverse("settings:field_create"), reverse("settings:field", args=[1]),
        reverse("settings:dictionaries"), reverse("settings:dictionary", args=["sources"]),
        reverse("settings:dictionary_reorder", args=["sources"]),
        reverse("settings:dictionary_item", args=["sources", world.source.pk]),
        reverse("settings:dictionary_item_move", args=["sources", world.source.pk]),
        reverse("settings:dictionary_item_toggle", args=["sources", world.source.pk]),
        reverse("settings:users"), reverse("settings:user_create"), reverse("settings:user", args=[world.owner.pk]),
        reverse("settings:user_password", args=[world.owner.pk]), reverse("settings:teams"),
        reverse("settings:team", args=[team]),
    ]


# --- access -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["owner", "lead", "head", "analyst"])
def test_every_settings_url_is_forbidden_to_non_admins(client, world, who):
    client.force_login(getattr(world, who))
    for url in settings_urls(world):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "x", "order": "1", "direction": "up"}).status_code == 403, url
    world.source.refresh_from_db()
    assert world.source.is_active
    assert Stage.objects.filter(pipeline=world.pipeline).count() == 4


def test_settings_ask_anonymous_visitors_to_sign_in(client, world):
    response = client.get(reverse("settings:pipeline", args=[world.pipeline.pk]))
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_admin_role_without_superuser_may_open_settings(client, world):
    from tests.factories import make_user

    client.force_login(make_user("plain-admin", role="admin"))
    assert client.get(reverse("settings:index")).status_code == 200


# --- overview ---------------------------------------------------------------------------------------------

def test_index_shows_the_stage_name_lint_of_every_pipeline(admin_client, world):
    add_stage(actor=get_system_actor(), pipeline=world.other_pipeline, name="Думает")
    response = admin_client.get(reverse("settings:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Думает" in html
    assert "lint-panel-warn" in html
    assert reverse("settings:stage", args=[Stage.objects.get(name="Думает").pk]) in html


def test_index_is_calm_when_every_stage_is_a_result(admin_client, world):
    response = admin_client.get(reverse("settings:index"))
    assert "lint-panel-warn" not in response.content.decode()


# --- pipelines --------------------------------------------------------------------------------------------

def test_admin_creates_a_pipeline(admin_client, world):
    response = admin_client.post(reverse("settings:pipeline_create"), {"new-name": "Тендеры", "new-kind": "custom"})
    pipeline = Pipeline.objects.get(name="Тендеры")
    assert response.status_code == 302
    assert response["Location"] == reverse("settings:pipeline", args=[pipeline.pk])


def test_create_pipeline_without_a_name_is_a_field_error(admin_client, world):
    response = admin_client.post(reverse("settings:pipeline_create"), {"new-name": " ", "new-kind": "bogus"})
    assert response.status_code == 400
    assert response.context["create_form"].errors.keys() >= {"name", "kind"}


def test_install_template_twice_gives_a_second_copy(admin_client, world):
    for _ in range(2):
        response = admin_client.post(reverse("settings:pipeline_install"), {"tpl-template": "renewal"})
        assert response.status_code == 302
    slugs = set(Pipeline.objects.filter(kind="renewal").values_list("slug", flat=True))
    assert len(slugs) == 2
    assert {s.rsplit("-", 1)[-1] for s in slugs} & {"2"}
    assert Pipeline.objects.filter(kind="renewal").first().stages.count() > 2


def test_install_unknown_template_is_a_field_error(admin_client, world):
    response = admin_client.post(reverse("settings:pipeline_install"), {"tpl-template": "../../etc/passwd"})
    assert response.status_code == 400
    assert "template" in response.context["template_form"].errors


def test_admin_renames_and_deactivates_a_pipeline(admin_client, world):
    url = reverse("settings:pipeline", args=[world.other_pipeline.pk])
    response = admin_client.post(url, {"name": "Холодные звонки", "description": "Описание"})
    assert response.status_code == 302
    world.other_pipeline.refresh_from_db()
    assert (world.other_pipeline.name, world.other_pipeline.is_active) == ("Холодные звонки", False)


def test_unknown_pipeline_is_404(admin_client, world):
    assert admin_client.get(reverse("settings:pipeline", args=[999999])).status_code == 404


def test_pipeline_page_lists_stages_in_order_with_their_rules(admin_client, world):
    response = admin_client.get(reverse("settings:pipeline", args=[world.pipeline.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    names = [s.name for s in _stages(world.pipeline)]
    assert [html.index(n) for n in names] == sorted(html.index(n) for n in names)
    assert "Sortable.min.js" in html
    assert "data-reorder-url" in html


def test_add_stage_goes_to_its_rulebook(admin_client, world):
    response = admin_client.post(reverse("settings:stage_add", args=[world.pipeline.pk]), {"name": "Счёт оплачен"})
    stage = Stage.objects.get(pipeline=world.pipeline, name="Счёт оплачен")
    assert response["Location"] == reverse("settings:stage", args=[stage.pk])
    assert stage.position > max(s.position for s in _stages(world.pipeline) if s.pk != stage.pk)


def test_add_stage_without_a_name_is_a_field_error(admin_client, world):
    response = admin_client.post(reverse("settings:stage_add", args=[world.pipeline.pk]), {"name": ""})
    assert response.status_code == 400
    assert "name" in response.context["add_form"].errors


# --- stage rulebook ---------------------------------------------------------------------------------------

def _rulebook(**overrides) -> dict:
    data = {
        "name": "Демо проведено", "entry_result": "Показали продукт", "goal": "Согласовать КП", "max_days": "4",
        "probability": "40", "owner_team": "", "owner_user": "",
        "required_fields": ["amount", "source"], "new_questions": "Кто ЛПР?\n\n  Какой бюджет?  \n",
        "on_enter": ["create_task_email", "create_task_call"], "instructions": "1. Позвонить\n2. Записать",
    }
    data.update(overrides)
    return data


def test_admin_edits_the_stage_rulebook_and_it_is_saved(admin_client, world):
    stage = _stages(world.pipeline)[1]
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    data = _rulebook(owner_team=str(world.team.pk), owner_mode="round_robin",
                     required_fields=["amount", "client.region", "cf:budget"])
    response = admin_client.post(reverse("settings:stage", args=[stage.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("settings:pipeline", args=[world.pipeline.pk])
    stage.refresh_from_db()
    assert stage.name == "Демо проведено"
    assert (stage.entry_result, stage.goal, stage.max_days, stage.probability) == (
        "Показали продукт", "Согласовать КП", 4, 40)
    assert (stage.owner_role, stage.owner_team, stage.owner_user, stage.owner_mode) == (
        "", world.team, None, "round_robin")
    assert stage.required_fields == ["amount", "client.region", "cf:budget"]
    assert [q.text for q in stage.questions.order_by("stage_links__position")] == ["Кто ЛПР?", "Какой бюджет?"]
    assert {q.question_set.name for q in stage.questions.all()} == {world.pipeline.name}
    assert [a["kind"] for a in stage.on_enter] == ["email", "call"]
    assert stage.instructions == "1. Позвонить\n2. Записать"


def test_stage_page_shows_required_field_checkboxes_with_custom_fields(admin_client, world):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    stage = _stages(world.pipeline)[2]
    html = admin_client.get(reverse("settings:stage", args=[stage.pk])).content.decode()
    assert 'value="cf:budget"' in html
    assert 'value="amount"' in html and "checked" in html
    assert 'name="on_enter"' in html


def test_clearing_required_fields_saves_an_empty_list(admin_client, world):
    stage = _stages(world.pipeline)[3]
    data = _rulebook(name=stage.name)
    data.pop("required_fields")
    admin_client.post(reverse("settings:stage", args=[stage.pk]), data)
    stage.refresh_from_db()
    assert stage.required_fields == []


def test_stage_named_as_a_state_saves_but_shows_the_lint_warning(admin_client, world):
    stage = _stages(world.pipeline)[1]
    response = admin_client.post(reverse("settings:stage", args=[stage.pk]), _rulebook(name="Переговоры"),
                                 follow=True)
    assert response.status_code == 200
    stage.refresh_from_db()
    assert stage.name == "Переговоры"
    html = response.content.decode()
    assert "Переговоры" in html
    assert "lint-warning" in html
    assert any(m.level_tag == "warning" and "Переговоры" in m.message for m in response.context["messages"])
    edit = admin_client.get(reverse("settings:stage", args=[stage.pk])).content.decode()
    assert "lint-warning" in edit


def test_live_lint_answers_with_the_warning(admin_client, world):
    warn = admin_client.get(reverse("settings:stage_lint"), {"name": "Negotiation"})
    ok = admin_client.get(reverse("settings:stage_lint"), {"name": "Демо проведено"})
    assert "lint-warning" in warn.content.decode()
    assert "lint-warning" not in ok.content.decode()


@pytest.mark.parametrize("overrides, field", [
    ({"max_days": "abc"}, "max_days"),
    ({"probability": "150"}, "probability"),
    ({"name": ""}, "name"),
    ({"owner_user": "99999"}, "owner_user"),
    ({"owner_team": "x"}, "owner_team"),
    ({"required_fields": ["amount", "nonsense"]}, "required_fields"),
    ({"on_enter": ["format_disk"]}, "on_enter"),
])
def test_bad_rulebook_input_is_a_field_error_not_500(admin_client, world, overrides, field):
    stage = _stages(world.pipeline)[0]
    before = stage.name
    response = admin_client.post(reverse("settings:stage", args=[stage.pk]), _rulebook(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    stage.refresh_from_db()
    assert stage.name == before


def test_unknown_stage_is_404(admin_client, world):
    assert admin_client.get(reverse("settings:stage", args=[424242])).status_code == 404


# --- ordering ---------------------------------------------------------------------------------------------

def test_reorder_saves_the_dragged_order(admin_client, world):
    ids = [s.pk for s in _stages(world.pipeline)]
    new = [ids[2], ids[0], ids[1], ids[3]]
    response = admin_client.post(reverse("settings:stage_reorder", args=[world.pipeline.pk]),
                                 {"order": ",".join(map(str, new))}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="stage-list"' in response.content.decode()
    assert [s.pk for s in _stages(world.pipeline)] == new


@pytest.mark.parametrize("order", ["1", "", "a,b,c", "1,1,1,1", "-1,2"])
def test_reorder_with_an_incomplete_or_bad_list_is_a_message_not_500(admin_client, world, order):
    ids_before = [s.pk for s in _stages(world.pipeline)]
    url = reverse("settings:stage_reorder", args=[world.pipeline.pk])
    response = admin_client.post(url, {"order": order}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "msg-error" in response.content.decode()
    response = admin_client.post(url, {"order": order}, follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert [s.pk for s in _stages(world.pipeline)] == ids_before


def test_incomplete_order_keeps_other_pipelines_stages_out(admin_client, world):
    ids = [s.pk for s in _stages(world.pipeline)]
    foreign = _stages(world.other_pipeline)[0].pk
    response = admin_client.post(reverse("settings:stage_reorder", args=[world.pipeline.pk]),
                                 {"order": ",".join(map(str, [*ids[:-1], foreign]))}, HTTP_HX_REQUEST="true")
    assert "msg-error" in response.content.decode()


def test_up_and_down_buttons_move_a_stage(admin_client, world):
    ids = [s.pk for s in _stages(world.pipeline)]
    admin_client.post(reverse("settings:stage_move", args=[ids[2]]), {"direction": "up"})
    assert [s.pk for s in _stages(world.pipeline)] == [ids[0], ids[2], ids[1], ids[3]]
    response = admin_client.post(reverse("settings:stage_move", args=[ids[0]]), {"direction": "down"},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'data-refocus="down-{ids[0]}"' in response.content.decode()
    assert [s.pk for s in _stages(world.pipeline)] == [ids[2], ids[0], ids[1], ids[3]]


def test_moving_the_first_stage_up_changes_nothing(admin_client, world):
    ids = [s.pk for s in _stages(world.pipeline)]
    response = admin_client.post(reverse("settings:stage_move", args=[ids[0]]), {"direction": "up"})
    assert response.status_code == 302
    assert [s.pk for s in _stages(world.pipeline)] == ids


def test_bad_direction_is_a_message(admin_client, world):
    stage = _stages(world.pipeline)[0]
    response = admin_client.post(reverse("settings:stage_move", args=[stage.pk]), {"direction": "sideways"},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "msg-error" in response.content.decode()


# --- deletion ---------------------------------------------------------------------------------------------

def test_deleting_a_stage_with_deals_is_refused_with_a_message(admin_client, world):
    stage = _stages(world.pipeline)[0]
    make_deal(world.owner, world.pipeline)
    response = admin_client.post(reverse("settings:stage_delete", args=[stage.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "msg-error" in response.content.decode()
    assert Stage.objects.filter(pk=stage.pk).exists()
    response = admin_client.post(reverse("settings:stage_delete", args=[stage.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_deleting_an_empty_stage_works(admin_client, world):
    stage = _stages(world.pipeline)[3]
    response = admin_client.post(reverse("settings:stage_delete", args=[stage.pk]))
    assert response.status_code == 302
    assert not Stage.objects.filter(pk=stage.pk).exists()


def test_get_does_not_delete(admin_client, world):
    stage = _stages(world.pipeline)[3]
    assert admin_client.get(reverse("settings:stage_delete", args=[stage.pk])).status_code == 405
    assert Stage.objects.filter(pk=stage.pk).exists()


# --- query caps -------------------------------------------------------------------------------------------

def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_pipeline_page_queries_do_not_grow_with_stages(admin_client, world):
    pipeline = create_pipeline(actor=get_system_actor(), name="Caps", slug="caps")
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    add_stage(actor=get_system_actor(), pipeline=pipeline, name="Заявка получена")
    for i in range(1, 3):
        add_stage(actor=get_system_actor(), pipeline=pipeline, name=f"Шаг {i} сделан",
                  **({"owner_team": world.team, "owner_mode": "least_loaded"} if i % 2 else {"owner_user": world.lead}),
                  required_fields=["amount", "cf:budget"])
    url = reverse("settings:pipeline", args=[pipeline.pk])
    few = _count(admin_client, url)
    for i in range(3, 10):
        add_stage(actor=get_system_actor(), pipeline=pipeline, name=f"Шаг {i} сделан",
                  **({"owner_team": world.team, "owner_mode": "least_loaded"} if i % 2 else {"owner_user": world.lead}),
                  required_fields=["amount", "cf:budget"])
    make_deal(world.owner, pipeline)
    assert _count(admin_client, url) == few


def test_pipeline_list_and_index_queries_do_not_grow(admin_client, world):
    for i in range(1):
        create_pipeline(actor=get_system_actor(), name=f"P{i}", slug=f"p{i}")
    urls = [reverse("settings:pipelines"), reverse("settings:index")]
    few = [_count(admin_client, u) for u in urls]  # 3 pipelines
    for i in range(1, 8):
        pipeline = create_pipeline(actor=get_system_actor(), name=f"P{i}", slug=f"p{i}")
        add_stage(actor=get_system_actor(), pipeline=pipeline, name="Переговоры")
    assert [_count(admin_client, u) for u in urls] == few  # 10 pipelines


def test_stage_page_queries_do_not_grow_with_fields(admin_client, world):
    stage = _stages(world.pipeline)[0]
    url = reverse("settings:stage", args=[stage.pk])
    for i in range(3):
        CustomFieldDefinition.objects.create(entity="deal", key=f"f{i}", label=f"F{i}", field_type="text")
    few = _count(admin_client, url)
    for i in range(3, 10):
        CustomFieldDefinition.objects.create(entity="deal", key=f"f{i}", label=f"F{i}", field_type="text")
    assert _count(admin_client, url) == few
