"""Pipeline instructions: written by administrators in Markdown, sanitised, shown on the board and the deal page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_deal
from voronka.audit.models import AuditEntry
from voronka.core.errors import DomainError, Forbidden
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import INSTRUCTIONS_MAX, update_pipeline

pytestmark = pytest.mark.django_db

TEXT = "Перезвонить **за 15 минут**.\n\n- вопрос 1\n- вопрос 2\n\n<script>alert('x')</script>[bad](javascript:alert(1))"


def _save(client, pipeline, instructions: str):
    return client.post(reverse("settings:pipeline", args=[pipeline.pk]), {
        "name": pipeline.name, "description": pipeline.description, "is_active": "on", "instructions": instructions})


def _assert_sanitised(body: str) -> None:
    assert "<strong>за 15 минут</strong>" in body
    assert "<li>вопрос 1</li>" in body
    assert "<script>alert" not in body and "javascript:" not in body


def test_an_admin_writes_them_on_the_pipeline_page_and_they_are_audited(client, world):
    client.force_login(world.admin)
    assert "instructions" in client.get(reverse("settings:pipeline", args=[world.pipeline.pk])).context["edit_form"].fields
    response = _save(client, world.pipeline, TEXT)
    assert response.status_code == 302
    world.pipeline.refresh_from_db()
    assert world.pipeline.instructions == TEXT.strip()
    entry = AuditEntry.objects.filter(object_id=str(world.pipeline.pk), field="instructions").get()
    assert entry.new == TEXT.strip() and entry.old == ""
    page = client.get(reverse("settings:pipeline", args=[world.pipeline.pk])).content.decode()
    assert "за 15 минут" in page  # the form shows the saved text


def test_they_show_sanitised_on_the_board_and_the_deal_page(client, world):
    update_pipeline(actor=world.admin, pipeline=world.pipeline, name=world.pipeline.name, is_active=True,
                    instructions=TEXT)
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    for url in (reverse("deals:board", args=[world.pipeline.slug]), reverse("deals:detail", args=[deal.pk])):
        body = client.get(url).content.decode()
        assert 'data-testid="pipeline-instructions"' in body, url
        _assert_sanitised(body)


def test_no_block_without_instructions(client, world):
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    for url in (reverse("deals:board", args=[world.pipeline.slug]), reverse("deals:detail", args=[deal.pk])):
        assert 'data-testid="pipeline-instructions"' not in client.get(url).content.decode()


@pytest.mark.parametrize("role", ["owner", "lead", "head", "analyst"])
def test_nobody_but_an_admin_changes_them(client, world, role):
    user = getattr(world, role)
    client.force_login(user)
    assert _save(client, world.pipeline, "hacked").status_code == 403
    with pytest.raises(Forbidden):
        update_pipeline(actor=user, pipeline=world.pipeline, name="x", is_active=True, instructions="hacked")
    assert Pipeline.objects.get(pk=world.pipeline.pk).instructions == ""


def test_too_long_or_not_text_is_refused_on_the_field(client, world):
    client.force_login(world.admin)
    response = _save(client, world.pipeline, "x" * (INSTRUCTIONS_MAX + 1))
    assert response.status_code == 400
    assert response.context["edit_form"].errors["instructions"]
    for bad in ("x" * (INSTRUCTIONS_MAX + 1), "a\x00b", 42):
        with pytest.raises(DomainError) as info:
            update_pipeline(actor=world.admin, pipeline=world.pipeline, name="P", is_active=True, instructions=bad)
        assert info.value.field == "instructions"
    assert Pipeline.objects.get(pk=world.pipeline.pk).instructions == ""


def test_leaving_them_out_keeps_them(world):
    update_pipeline(actor=world.admin, pipeline=world.pipeline, name="P", is_active=True, instructions="keep")
    update_pipeline(actor=world.admin, pipeline=world.pipeline, name="P2", is_active=True)
    assert Pipeline.objects.get(pk=world.pipeline.pk).instructions == "keep"
