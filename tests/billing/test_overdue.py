"""An overdue planned payment gives the deal's owner a task and one notification, once per occurrence, from
``voronka tick``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from voronka.activities.models import Task
from voronka.automation.models import Notification
from voronka.billing.models import OverdueNotice
from voronka.billing.monitors import overdue_payments
from voronka.billing.services import create_invoice, record_payment, set_payment_plan
from voronka.cli import main

pytestmark = pytest.mark.django_db


def _now(days: int = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def test_an_overdue_row_makes_one_task_and_one_notification(world, deal, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    invoice = create_invoice(actor=world.owner, deal=deal)
    set_payment_plan(actor=world.owner, invoice=invoice, rows=[
        {"due_date": today - dt.timedelta(days=3), "amount": "100000"},
        {"due_date": today + dt.timedelta(days=30), "amount": "80000"}])
    record_payment(actor=world.owner, invoice=invoice, amount="40000")
    before = set(Task.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_payments(now=_now()) == 1
    [task] = Task.objects.exclude(pk__in=before)
    assert task.assignee == world.owner and task.deal == deal and "60000" in task.title
    assert Notification.objects.filter(recipient=world.owner, target_id=str(task.pk)).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_payments(now=_now()) == 0  # the same moment again
        assert overdue_payments(now=_now(1)) == 0  # later: the same occurrence
    assert Task.objects.exclude(pk__in=before).count() == 1
    assert Notification.objects.filter(recipient=world.owner, event_type="task_assigned").count() == 1
    # the second row falls due later: a new occurrence
    assert overdue_payments(now=_now(31)) == 1
    assert OverdueNotice.objects.count() == 2


def test_paid_rows_and_cancelled_invoices_are_not_overdue(world, deal):
    today = timezone.localdate()
    invoice = create_invoice(actor=world.owner, deal=deal, due_date=today - dt.timedelta(days=1))
    record_payment(actor=world.owner, invoice=invoice, amount="180000")
    assert overdue_payments(now=_now()) == 0


def test_tick_runs_the_monitor(world, deal, capsys):
    create_invoice(actor=world.owner, deal=deal, due_date=timezone.localdate() - dt.timedelta(days=2))
    assert main(["tick"]) == 0
    assert "overdue payment tasks: 1" in capsys.readouterr().out
    next_slot = (timezone.now() + dt.timedelta(minutes=10)).isoformat()  # the job runs every 5 minutes
    assert main(["tick", "--now", next_slot]) == 0
    assert "overdue payment tasks: 0" in capsys.readouterr().out  # the same occurrence: no second task
