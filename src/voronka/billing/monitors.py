"""The overdue-payment monitor run by ``voronka tick``: a planned payment (or an invoice without a plan) past
its date with money left to pay gives the deal's owner a task "collect the payment"; the task's assignment
tells him through ``automation.services.notify`` (the ``task.created`` handler: one in-app/email notice).

Once per occurrence: ``OverdueNotice.key`` (``payment-overdue:invoice:<id>:row:<row id or due>:<date>``) is
unique and written in the same transaction as the task, so a second tick, the same moment or later, or two
ticks at once, make no second task. A plan set again (new rows) or a moved due date is a new occurrence.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.services import get_system_actor
from voronka.activities.models import TaskKind
from voronka.activities.services import create_task
from voronka.automation.services import in_language

from .models import OverdueNotice
from .selectors import overdue_rows

logger = logging.getLogger(__name__)


def occurrence_key(invoice, fact) -> str:
    return f"payment-overdue:invoice:{invoice.pk}:row:{fact.row_id or 'due'}:{fact.due_date.isoformat()}"


def overdue_payments(*, now: dt.datetime | None = None) -> int:
    """Tasks made for planned payments overdue at ``now`` (each occurrence once)."""
    today = timezone.localdate(now or timezone.now())
    found = {occurrence_key(invoice, fact): (invoice, fact) for invoice, fact in overdue_rows(today=today)}
    done = set(OverdueNotice.objects.filter(key__in=list(found)).values_list("key", flat=True))
    system = get_system_actor()
    made = 0
    for key, (invoice, fact) in found.items():
        if key in done:
            continue
        owner = invoice.deal.owner
        with in_language(owner):
            title = _("Collect the payment: invoice № %(number)s, %(amount)s %(currency)s due %(due)s") % {
                "number": invoice.display_number, "amount": fact.remaining, "currency": invoice.currency,
                "due": fact.due_date.isoformat()}
        try:
            with transaction.atomic():
                notice = OverdueNotice.objects.create(key=key, invoice=invoice)
                if owner.is_active:
                    notice.task = create_task(actor=system, deal=invoice.deal, title=title[:255],
                                              kind=TaskKind.CALL, due_date=today, assignee=owner)
                    notice.save(update_fields=["task"])
        except IntegrityError:  # a concurrent tick took this occurrence
            continue
        made += 1
    if made:
        logger.info("overdue payments", extra={"tasks": made})
    return made
