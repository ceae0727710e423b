"""Snapshots of the domain tables, to prove that a refused service call wrote nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from voronka.activities.models import Activity, Task
from voronka.audit.models import AuditEntry
from voronka.clients.models import Client, Contact
from voronka.deals.models import Deal, DealLine, StageTransition
from voronka.events.models import OutboxEvent
from voronka.pipelines.models import Pipeline, Stage

COUNTED = (Deal, DealLine, Task, StageTransition, Activity, AuditEntry, OutboxEvent, Client, Contact)


def snapshot() -> dict[str, Any]:
    """Row counts of every domain table plus the mutable columns of deals, tasks and clients."""
    state: dict[str, Any] = {model._meta.label: model.objects.count() for model in COUNTED}
    state["deals"] = list(Deal.objects.order_by("pk").values_list(
        "pk", "version", "stage_id", "status", "amount", "owner_id", "expected_close_date", "custom",
        "lost_reason_id", "closed_at", "client_id", "contact_id"))
    state["tasks"] = list(Task.objects.order_by("pk").values_list(
        "pk", "status", "outcome", "assignee_id", "due_date", "follow_up_id", "title"))
    state["clients"] = list(Client.objects.order_by("pk").values_list(
        "pk", "status", "name", "phone", "email", "inn", "refusal_reason_id", "custom", "responsible_id"))
    return state


@contextmanager
def unchanged() -> Iterator[None]:
    """Assert that the block leaves every domain table exactly as it found it.

    Put it outside ``pytest.raises`` so the check runs after the expected error was caught.
    """
    before = snapshot()
    yield
    after = snapshot()
    assert after == before


def stage_of(pipeline: Pipeline, slug: str) -> Stage:
    return pipeline.stages.get(slug=slug)


def transitions_of(deal: Deal) -> list[tuple[str, int | None, int | None]]:
    return list(StageTransition.objects.filter(deal=deal).order_by("at", "id").values_list(
        "kind", "from_stage_id", "to_stage_id"))


def open_tasks(deal: Deal) -> list[Task]:
    return list(Task.objects.filter(deal=deal, status="open").order_by("id"))
