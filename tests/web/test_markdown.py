"""Safe Markdown for stage instructions, timeline notes and help texts (markdown + nh3, one filter)."""

from __future__ import annotations

import pytest

from tests.factories import make_deal
from voronka.activities.services import add_timeline_entry
from voronka.web.templatetags.ui import markdown

pytestmark = pytest.mark.django_db


def test_markdown_renders_the_usual_forms():
    html = markdown("1. **Позвонить** ЛПР\n2. Отправить *КП*\n\n- пункт\n\n[сайт](https://example.ru)")
    assert "<ol>" in html and "<strong>Позвонить</strong>" in html and "<em>КП</em>" in html and "<ul>" in html
    assert '<a href="https://example.ru" rel="noopener noreferrer nofollow">сайт</a>' in html


@pytest.mark.parametrize("evil", [
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "[x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>', "<iframe src='https://evil'></iframe>", '<p style="x" onclick="y">t</p>',
])
def test_markdown_removes_anything_active(evil):
    html = markdown(evil).lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<iframe" not in html and "onclick" not in html and "alert(1)</script" not in html and "<img" not in html


def test_empty_text_is_empty():
    assert markdown("") == "" and markdown(None) == ""


def test_stage_instructions_and_timeline_notes_are_rendered_safely(client, world):
    stage = world.pipeline.stages.order_by("position").first()
    stage.instructions = "1. **Уточнить** бюджет\n2. Назначить демо <script>alert(1)</script>"
    stage.save(update_fields=["instructions"])
    deal = make_deal(world.owner, world.pipeline)
    add_timeline_entry(actor=world.owner, kind="note", deal=deal,
                       body="Клиент просил **скидку**\n<img src=x onerror=alert(2)>")
    client.force_login(world.owner)
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "<strong>Уточнить</strong>" in html and "<strong>скидку</strong>" in html
    assert "alert(1)" not in html and "onerror" not in html
    task = deal.tasks.first()
    dialog = client.get(f"/tasks/{task.pk}/complete/", HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>Уточнить</strong>" in dialog and "<script>alert" not in dialog
