"""Domain events that start or stop sequences (run in the dispatch transaction, once per event)."""

from __future__ import annotations

from django.conf import settings

from voronka.clients.models import Client
from voronka.deals.models import Deal
from voronka.events.registry import handles
from voronka.mailings import services
from voronka.pipelines.models import Pipeline


@handles("deal.lost")
def enrol_on_lost(event) -> None:
    """A deal lost with a reason a sequence lists: its client enrols (after the sequence's delay)."""
    deal = Deal.objects.select_related("client", "owner").filter(pk=event.target_id).first()
    if deal is not None:
        services.enrol_lost_deal(deal=deal, at=event.created_at)


@handles("client.refused")
def enrol_on_refusal(event) -> None:
    client = Client.objects.select_related("responsible").filter(pk=event.target_id).first()
    if client is not None:
        services.enrol_refused_client(client=client, at=event.created_at)


@handles("deal.created")
def stop_on_new_deal(event) -> None:
    """A new deal for the client: his sequences have done their job (or are no longer wanted)."""
    deal = Deal.objects.filter(pk=event.target_id).only("client_id", "created_at", "status").first()
    if deal is not None and deal.status == "open":  # a late dispatch of an older deal's event stops nothing
        services.stop_for_client(client_id=deal.client_id, reason="new_deal", at=event.created_at,
                                 enrolled_before=deal.created_at)


@handles("email.received")
def stop_on_reply(event) -> None:
    """The mailbox took an email from a known client: a reply stops his sequences (and may return him)."""
    client_id = (event.payload.get("data") or {}).get("client")
    if client_id and not (event.payload.get("data") or {}).get("new_lead"):
        services.client_replied(client_id=int(client_id), at=event.created_at)


@handles("pipeline.created")
def ship_the_reanimation_sequence(event) -> None:
    """A Return pipeline installed on an installation without sequences brings the shipped reanimation one."""
    pipeline = Pipeline.objects.filter(pk=event.target_id, kind="return").first()
    if pipeline is not None:
        services.install_default_sequence(language=settings.LANGUAGE_CODE[:2])
