"""Billing's stage rule and automation.

- A stage may require the deal's invoices to be paid (``StageBillingRule``): deals' move and win services run
  ``require_paid_invoice`` through the stage-rule registry of ``voronka.deals.rules`` (filled in
  ``BillingConfig.ready``), on every stage the move or the win passes, as with required fields.
- A pipeline may move a deal to a stage once it is paid in full (``PaidMove``): ``move_when_paid`` runs after
  the commit of ``invoice.paid_changed`` (``handlers.py``), through ``deals.services.move_deal`` as the system
  actor; it is idempotent (a deal already at or past the stage is left alone) and written on the timeline.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_perm
from voronka.accounts.services import get_system_actor
from voronka.activities.models import ActivityKind
from voronka.activities.services import log_activity
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import move_deal
from voronka.events.services import record_event
from voronka.pipelines.models import Pipeline, Stage

from .models import Invoice, InvoiceStatus, PaidMove, StageBillingRule

logger = logging.getLogger(__name__)
TRUE_VALUES = (True, "1", "true", "on", "yes")
FALSE_VALUES = (False, None, "", "0", "false", "off", "no")


class InvoiceNotPaid(DomainError):
    default_code = "invoice_not_paid"


def deal_is_paid(deal: Deal) -> bool:
    """The deal has an issued invoice and every invoice of it that is neither a draft nor cancelled is paid."""
    statuses = set(Invoice.objects.filter(deal_id=deal.pk)
                   .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED])
                   .values_list("status", flat=True))
    return statuses == {InvoiceStatus.PAID}


def require_paid_invoice(deal: Deal, stages: list[Stage]) -> None:
    """The stage rule: refuse when a stage passed requires the invoice paid and the deal's is not."""
    ids = set(StageBillingRule.objects.filter(stage_id__in=[s.pk for s in stages], requires_paid_invoice=True)
              .values_list("stage_id", flat=True))
    stage = next((s for s in stages if s.pk in ids), None)
    if stage is not None and not deal_is_paid(deal):
        raise InvoiceNotPaid(
            _("Stage “%(stage)s” requires the invoice to be paid: the deal's invoice is not paid in full yet.")
            % {"stage": stage.name}, field="stage")


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, str):
        value = value.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise DomainError(_("Choose yes or no."), field=field)


@transaction.atomic
def set_stage_rule(*, actor: User, stage: Stage, requires_paid_invoice: Any) -> StageBillingRule | None:
    """Settings: whether entering ``stage`` requires the deal's invoice paid (administrators)."""
    require_perm(actor, "configure")
    stage = Stage.objects.filter(pk=getattr(stage, "pk", None)).first()
    if stage is None:
        raise DomainError(_("Unknown stage."), field="stage")
    value = _flag(requires_paid_invoice, f"paid_{stage.pk}")
    rule = StageBillingRule.objects.filter(stage=stage).first()
    if rule is None and not value:
        return None
    rule = rule or StageBillingRule.objects.create(stage=stage)
    old = rule.requires_paid_invoice
    if old != value:
        rule.requires_paid_invoice = value
        rule.save(update_fields=["requires_paid_invoice"])
        record_event(actor=actor, verb="billing.stage_rule", target=rule,
                     changes={"requires_paid_invoice": (old, value)}, data={"stage": stage.pk})
    return rule


@transaction.atomic
def set_paid_move(*, actor: User, pipeline: Pipeline, stage: Any) -> PaidMove | None:
    """Settings: the stage of ``pipeline`` a full payment moves a deal to; empty switches it off."""
    require_perm(actor, "configure")
    field = f"move_{pipeline.pk}"
    if stage in (None, ""):
        PaidMove.objects.filter(pipeline=pipeline).delete()
        return None
    pk = stage.pk if isinstance(stage, Stage) else stage
    found = (Stage.objects.filter(pk=pk, pipeline=pipeline, is_archived=False).first()
             if str(pk).isdigit() else None)
    if found is None:
        raise DomainError(_("Choose a stage of this pipeline."), field=field)
    move, _created = PaidMove.objects.update_or_create(pipeline=pipeline, defaults={"stage": found})
    record_event(actor=actor, verb="billing.paid_move", target=move, data={"pipeline": pipeline.pk,
                                                                          "stage": found.pk})
    return move


def move_when_paid(invoice_id: int) -> bool:
    """After a payment: move the open deal of a fully paid invoice to its pipeline's stage; True when moved."""
    invoice = Invoice.objects.select_related("deal", "deal__stage").filter(pk=invoice_id).first()
    if invoice is None or invoice.status != InvoiceStatus.PAID:
        return False
    deal = invoice.deal
    move = PaidMove.objects.select_related("stage").filter(pipeline_id=deal.pipeline_id).first()
    if move is None or not deal.is_open or move.stage.is_archived:
        return False
    if deal.stage_id == move.stage_id or deal.stage.position >= move.stage.position or not deal_is_paid(deal):
        return False  # already there or past it (idempotent), or another invoice is still unpaid
    system = get_system_actor()
    try:
        move_deal(actor=system, deal=deal, stage=move.stage)
    except DomainError as exc:  # e.g. a required field is empty: said on the timeline, not retried forever
        log_activity(kind=ActivityKind.SYSTEM, author=system, deal=deal,
                     body=_("Invoice № %(number)s is paid in full, but the deal could not move to “%(stage)s”: "
                            "%(error)s") % {"number": invoice.display_number, "stage": move.stage.name,
                                            "error": exc.message},
                     data={"invoice": invoice.pk, "event": "paid_move_failed"})
        return False
    log_activity(kind=ActivityKind.SYSTEM, author=system, deal=deal,
                 body=_("Invoice № %(number)s is paid in full: the deal moved to “%(stage)s”.")
                 % {"number": invoice.display_number, "stage": move.stage.name},
                 data={"invoice": invoice.pk, "event": "paid_move"})
    logger.info("deal moved on full payment", extra={"deal_id": deal.pk, "stage_id": move.stage_id})
    return True
