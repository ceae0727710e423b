"""Reads of webhook subscriptions and their deliveries: administrators only."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.permissions import require_perm
from voronka.core.errors import NotFound
from voronka.integrations.models import (
    WEBHOOK_VERBS,
    DeliveryStatus,
    FormSubmission,
    LeadForm,
    SubmissionStatus,
    WebhookDelivery,
    WebhookSubscription,
)


def list_subscriptions(*, actor) -> QuerySet[WebhookSubscription]:
    """Every subscription with its delivery counts and last delivery time (one query)."""
    require_perm(actor, "configure")
    return WebhookSubscription.objects.annotate(
        delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        waiting_count=Count("deliveries", filter=Q(deliveries__status__in=[DeliveryStatus.PENDING,
                                                                           DeliveryStatus.FAILED])),
        dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
        last_delivered_at=Max("deliveries__delivered_at"),
    ).order_by("name", "id")


def get_subscription(*, actor, subscription_id) -> WebhookSubscription:
    require_perm(actor, "configure")
    try:
        return WebhookSubscription.objects.get(pk=subscription_id)
    except (WebhookSubscription.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Webhook not found.")) from exc


def list_deliveries(*, actor, subscription: WebhookSubscription, status: str | None = None
                    ) -> QuerySet[WebhookDelivery]:
    """The delivery log of one subscription, newest first."""
    require_perm(actor, "configure")
    qs = WebhookDelivery.objects.filter(subscription=subscription).order_by("-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def get_delivery(*, actor, delivery_id, subscription: WebhookSubscription | None = None) -> WebhookDelivery:
    require_perm(actor, "configure")
    qs = WebhookDelivery.objects.select_related("subscription")
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    try:
        return qs.get(pk=delivery_id)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Delivery not found.")) from exc


def active_subscriptions_for(verb: str) -> list[WebhookSubscription]:
    """The active subscriptions that want ``verb`` (the handler's read; no actor: it runs in dispatch)."""
    return [s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(verb)]


def deliverable_verbs(*, actor) -> list[str]:
    """The event types a subscription may choose (``*`` means all of them)."""
    require_perm(actor, "configure")
    return list(WEBHOOK_VERBS)


# --- web forms ----------------------------------------------------------------------------------------------

def list_lead_forms(*, actor) -> QuerySet[LeadForm]:
    """Every web form with its pipeline, assignee, team and submission counts (one query)."""
    require_perm(actor, "configure")
    return (LeadForm.objects.select_related("pipeline", "assignee", "team", "source")
            .annotate(accepted_count=Count("submissions", filter=Q(submissions__status=SubmissionStatus.ACCEPTED)),
                      rejected_count=Count("submissions", filter=Q(submissions__status=SubmissionStatus.REJECTED)))
            .order_by("title", "id"))


def get_lead_form(*, actor, form_id) -> LeadForm:
    require_perm(actor, "configure")
    try:
        return LeadForm.objects.select_related("pipeline", "assignee", "team", "source").get(pk=form_id)
    except (LeadForm.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Web form not found.")) from exc


def list_submissions(*, actor, form: LeadForm) -> QuerySet[FormSubmission]:
    """The log of one form, newest first (the deal and client joined for the links)."""
    require_perm(actor, "configure")
    return FormSubmission.objects.filter(form=form).select_related("deal", "client").order_by("-id")


def get_lead_form_by_slug(slug: str) -> LeadForm | None:
    return LeadForm.objects.filter(slug=slug).first()
