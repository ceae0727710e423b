"""Billing's scheduled jobs (``automation.scheduler``): overdue planned payments and after-sales surveys."""

from __future__ import annotations

import datetime as dt

from voronka.automation.scheduler import job


@job("billing.overdue_payments", every_minutes=5)
def overdue_payment_tasks(*, now: dt.datetime) -> dict[str, int]:
    from voronka.billing.monitors import overdue_payments

    return {"overdue payment tasks": overdue_payments(now=now)}


@job("billing.surveys", every_minutes=5)
def after_sales_surveys(*, now: dt.datetime) -> dict[str, int]:
    from voronka.billing.surveys import send_due_surveys

    return {"after-sales surveys sent": send_due_surveys(now=now)}
