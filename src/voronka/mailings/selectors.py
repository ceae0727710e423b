"""Reads of mailings: templates, sequences, their statistics (SQL aggregates), a client's enrolments."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from voronka.accounts.permissions import require_perm
from voronka.core.errors import NotFound
from voronka.core.params import parse_id
from voronka.deals.models import DealStatus
from voronka.mailings.models import (
    EmailTemplate,
    Enrolment,
    EnrolmentStatus,
    RenewalRule,
    Send,
    Sequence,
    SequenceStep,
    UpsellRule,
)


def list_templates(*, actor, active_only: bool = False) -> QuerySet[EmailTemplate]:
    require_perm(actor, "view")
    templates = EmailTemplate.objects.order_by("name", "language")
    return templates.filter(is_active=True) if active_only else templates


def get_template(*, actor, template_id) -> EmailTemplate:
    require_perm(actor, "view")
    pk = parse_id(template_id)
    template = EmailTemplate.objects.filter(pk=pk).first() if pk else None
    if template is None:
        raise NotFound(_("Template not found."))
    return template


def list_sequences(*, actor) -> QuerySet[Sequence]:
    require_perm(actor, "view")
    return Sequence.objects.prefetch_related("lost_reasons").annotate(step_count=Count("steps")).order_by("name")


def get_sequence(*, actor, sequence_id) -> Sequence:
    require_perm(actor, "view")
    pk = parse_id(sequence_id)
    sequence = Sequence.objects.filter(pk=pk).select_related("return_pipeline").first() if pk else None
    if sequence is None:
        raise NotFound(_("Sequence not found."))
    return sequence


def get_step(*, actor, step_id) -> SequenceStep:
    require_perm(actor, "view")
    pk = parse_id(step_id)
    step = SequenceStep.objects.select_related("sequence").filter(pk=pk).first() if pk else None
    if step is None:
        raise NotFound(_("Step not found."))
    return step


def get_enrolment(*, actor, enrolment_id) -> Enrolment:
    require_perm(actor, "view")
    pk = parse_id(enrolment_id)
    enrolment = Enrolment.objects.select_related("sequence", "client").filter(pk=pk).first() if pk else None
    if enrolment is None:
        raise NotFound(_("Enrolment not found."))
    return enrolment


def active_enrolments_of(*, client) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(client=client, status=EnrolmentStatus.ACTIVE).select_related("sequence")


def sequence_stats(*, actor, sequences: list[Sequence] | None = None) -> dict[int, dict[str, object]]:
    """Per sequence: enrolled, sent, clicked (enrolments with a click), returned, won after return, revenue.

    Three grouped queries whatever the number of sequences or rows.
    """
    require_perm(actor, "view")
    ids = [s.pk for s in sequences] if sequences is not None else None
    enrolments = Enrolment.objects.all() if ids is None else Enrolment.objects.filter(sequence_id__in=ids)
    won = Q(return_deal__status=DealStatus.WON)
    rows = enrolments.values("sequence_id").annotate(
        enrolled=Count("pk"), returned=Count("pk", filter=Q(return_deal__isnull=False)),
        won=Count("pk", filter=won), revenue=Sum("return_deal__amount", filter=won))
    stats: dict[int, dict[str, object]] = {}
    for row in rows:
        stats[row["sequence_id"]] = {"enrolled": row["enrolled"], "returned": row["returned"], "won": row["won"],
                                     "revenue": row["revenue"] or Decimal("0"), "sent": 0, "clicked": 0}
    sends = Send.objects.filter(enrolment__isnull=False)
    if ids is not None:
        sends = sends.filter(enrolment__sequence_id__in=ids)
    for row in sends.values("enrolment__sequence_id").annotate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            clicked=Count("enrolment_id", filter=Q(clicked_at__isnull=False), distinct=True)):
        entry = stats.setdefault(row["enrolment__sequence_id"], {"enrolled": 0, "returned": 0, "won": 0,
                                                                 "revenue": Decimal("0")})
        entry["sent"], entry["clicked"] = row["sent"], row["clicked"]
    return stats


def list_renewal_rules(*, actor) -> QuerySet[RenewalRule]:
    require_perm(actor, "view")
    return RenewalRule.objects.select_related("product", "pipeline").order_by("product__name")


def list_upsell_rules(*, actor) -> QuerySet[UpsellRule]:
    require_perm(actor, "view")
    return UpsellRule.objects.select_related("product", "offer", "pipeline").order_by("product__name", "offer__name")
