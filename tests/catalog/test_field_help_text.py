"""Help texts of custom fields: the admin writes one per field (Settings › Fields), the deal forms show it under
the field as sanitised Markdown (the move dialog's required fields, the inline edit on the deal page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_deal
from voronka.catalog.models import CustomFieldDefinition
from voronka.catalog.services import create_custom_field, update_custom_field
from voronka.core.errors import DomainError
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db

HELP = "Спросите у **ЛПР**: <script>alert(1)</script> [регламент](https://example.com/r)"


def _field(world, **extra):
    return create_custom_field(actor=world.admin, entity="deal", label="Бюджет проекта", key="budget",
                               field_type="text", help_text=HELP, **extra)


def test_admin_writes_a_help_text_through_the_settings_form(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("settings:field_create"), {
        "entity": "deal", "label": "Тариф", "key": "", "field_type": "text", "choices": "", "is_active": "on",
        "sort_order": "", "help_text": "  Из **договора**  "})
    assert response.status_code == 302
    definition = CustomFieldDefinition.objects.get(label="Тариф")
    assert definition.help_text == "Из **договора**"
    html = client.get(reverse("settings:field", args=[definition.pk])).content.decode()
    assert "Из **договора**" in html


def test_a_too_long_help_text_is_a_field_error(world):
    with pytest.raises(DomainError) as exc:
        create_custom_field(actor=world.admin, entity="deal", label="X", field_type="text", help_text="x" * 2001)
    assert exc.value.field == "help_text"


def test_update_keeps_the_help_text_unless_given(world):
    definition = _field(world)
    update_custom_field(actor=world.admin, definition=definition, label="Бюджет", field_type="text")
    assert CustomFieldDefinition.objects.get(pk=definition.pk).help_text == HELP.strip()
    update_custom_field(actor=world.admin, definition=definition, label="Бюджет", field_type="text", help_text="")
    assert CustomFieldDefinition.objects.get(pk=definition.pk).help_text == ""


def _assert_rendered(html: str) -> None:
    assert 'data-testid="field-help"' in html
    assert "<strong>ЛПР</strong>" in html
    assert "<script>" not in html.split('data-testid="field-help"', 1)[1].split("</div>", 1)[0]
    assert 'href="https://example.com/r"' in html


def test_inline_edit_shows_the_help_text_as_safe_markdown(client, world):
    _field(world)
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    html = client.get(reverse("deals:field", args=[deal.pk, "cf:budget"]), HTTP_HX_REQUEST="true").content.decode()
    _assert_rendered(html)


def test_the_move_dialog_shows_the_help_text_under_a_required_custom_field(client, world):
    _field(world)
    deal = make_deal(world.owner, world.pipeline)
    target = world.pipeline.stages.get(slug="qualified")
    update_stage(actor=world.admin, stage=target, required_fields=["cf:budget"])
    client.force_login(world.owner)
    response = client.post(reverse("deals:move", args=[deal.pk]), {"stage": target.pk, "version": deal.version},
                           HTTP_HX_REQUEST="true")
    _assert_rendered(response.content.decode())
