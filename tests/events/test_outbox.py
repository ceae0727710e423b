"""record_event: audit entry and outbox row in the write's transaction; dispatch after commit, once."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from tests.dbstate import stage_of
from tests.factories import make_deal
from voronka.audit.models import AuditEntry
from voronka.catalog.models import Region
from voronka.cli import main
from voronka.deals.services import move_deal
from voronka.events import registry
from voronka.events.dispatch import dispatch_event, dispatch_pending
from voronka.events.models import OutboxEvent
from voronka.events.tasks import dispatch_outbox_event
from voronka.pipelines.services import add_stage

SRC = Path(__file__).resolve().parents[2] / "src" / "voronka"


@pytest.fixture
def deal(world, django_capture_on_commit_callbacks):
    # The world's own setup events (e.g. ``pipeline.created``, which mailings handle) dispatched: out of the way.
    dispatch_pending(now=timezone.now() + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):  # its own events (webhooks) dispatched: out of the way
        return make_deal(world.owner, world.pipeline)


@pytest.fixture
def handled():
    """A test handler of ``deal.moved``: the ids of the events it saw, in order."""
    seen: list[int] = []

    def handler(event):
        seen.append(event.pk)

    registry.register("deal.moved", handler)
    yield seen
    registry.unregister("deal.moved", handler)


def _move(world, deal):
    return move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "qualified"))


def test_a_service_write_records_its_audit_entry_and_an_outbox_row(world, deal):
    _move(world, deal)
    event = OutboxEvent.objects.get(verb="deal.moved")
    received, qualified = stage_of(world.pipeline, "received"), stage_of(world.pipeline, "qualified")
    assert (event.target_type, event.target_id, event.actor) == ("deals.Deal", str(deal.pk), world.owner)
    assert event.payload["changes"] == {"stage": [received.pk, qualified.pk]}
    assert event.payload["data"]["pipeline"] == world.pipeline.pk
    assert AuditEntry.objects.filter(action="deal.moved", object_id=str(deal.pk), field="stage").count() == 1


def test_a_rolled_back_write_leaves_neither_audit_nor_outbox_nor_task(world, deal, handled,
                                                                      django_capture_on_commit_callbacks):
    audits, events = AuditEntry.objects.count(), OutboxEvent.objects.count()
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError),
          transaction.atomic()):
        _move(world, deal)
        assert OutboxEvent.objects.count() == events + 1  # written inside the transaction...
        raise RuntimeError("the caller's transaction fails after the service returned")
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == (audits, events)  # ...and gone with it
    assert callbacks == [] and handled == []


def test_after_commit_the_task_dispatches_to_the_handler_exactly_once(world, deal, handled,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _move(world, deal)
        assert handled == []  # nothing runs before the commit
    event = OutboxEvent.objects.get(verb="deal.moved")
    assert len(callbacks) == 1
    assert handled == [event.pk]
    assert event.dispatched_at is not None and event.attempts == 1


def test_a_second_dispatch_of_the_same_row_does_nothing(world, deal, handled,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _move(world, deal)
    event = OutboxEvent.objects.get(verb="deal.moved")
    assert dispatch_event(event.pk) is False
    dispatch_outbox_event.enqueue(event.pk)  # a duplicate task in the queue
    assert dispatch_pending(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert handled == [event.pk]
    assert OutboxEvent.objects.get(pk=event.pk).attempts == 1


def test_an_event_nobody_handles_is_stored_dispatched_and_enqueues_nothing(world, deal,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:  # webhooks handle deal events; nobody new stages
        stage = add_stage(actor=world.admin, pipeline=world.pipeline, name="Audit", slug="audit")
    assert registry.handlers_for("stage.created") == []
    assert callbacks == []
    assert OutboxEvent.objects.get(verb="stage.created", target_id=str(stage.pk)).dispatched_at is not None


def test_a_failing_handler_rolls_back_its_writes_and_the_retry_pass_dispatches_the_row(
        world, deal, django_capture_on_commit_callbacks):
    attempts: list[int] = []

    def flaky(event):
        attempts.append(event.pk)
        Region.objects.create(name=f"written by handler {len(attempts)}")
        if len(attempts) == 1:
            raise ConnectionError("smtp down")

    registry.register("deal.moved", flaky)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _move(world, deal)  # the write commits; the handler's failure is not the caller's
        event = OutboxEvent.objects.get(verb="deal.moved")
        assert (event.dispatched_at, event.attempts, event.last_error) == (None, 1, "ConnectionError: smtp down")
        assert not Region.objects.filter(name__startswith="written by handler").exists()
        assert dispatch_pending(now=timezone.now()) == 0  # still within the grace period of its own task
        assert dispatch_pending(now=timezone.now() + dt.timedelta(minutes=5)) == 1
    finally:
        registry.unregister("deal.moved", flaky)
    event.refresh_from_db()
    assert event.dispatched_at is not None and event.attempts == 2 and event.last_error == ""
    assert list(Region.objects.filter(name__startswith="written by").values_list("name", flat=True)) == [
        "written by handler 2"]


def test_a_row_a_crashed_worker_left_is_dispatched_by_voronka_tick(world, deal, handled,
                                                                  django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=False):  # the commit happened, the task never ran
        _move(world, deal)
    event = OutboxEvent.objects.get(verb="deal.moved")
    assert event.dispatched_at is None
    later = (timezone.now() + dt.timedelta(minutes=10)).isoformat()
    assert main(["tick", "--now", later]) == 0
    assert main(["tick", "--now", later]) == 0  # a second run for the same moment: no second effect
    assert handled == [event.pk]
    assert "events dispatched: 1" in capsys.readouterr().out


def test_every_service_module_writes_through_record_event():
    """audit.services.record_audit is the low-level writer: only record_event calls it."""
    callers = sorted(str(path.relative_to(SRC)) for path in SRC.glob("*/services.py")
                     if re.search(r"\brecord_audit\(", path.read_text()) and path.parent.name not in ("audit", "events"))
    assert callers == []
    users = [path.parent.name for path in SRC.glob("*/services.py") if "record_event(" in path.read_text()]
    assert {"accounts", "activities", "catalog", "clients", "deals", "pipelines"} <= set(users)
