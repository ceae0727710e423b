"""Leads: a new request becomes a client, a deal and its first task in one transaction.

Lives in ``deals`` (which may import ``clients``), so the clients app stays free of deal imports.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_assignable, require_perm
from voronka.clients.models import Client
from voronka.clients.normalize import normalize_email, normalize_phone
from voronka.clients.services import add_contact, create_client
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import create_deal

logger = logging.getLogger(__name__)

CONTACT_KEYS = ("name", "phone", "email", "position")
DEAL_KEYS = ("pipeline", "stage", "title", "amount", "product", "campaign", "expected_close_date")


def _contact(raw: dict[str, Any] | None) -> dict[str, str] | None:
    """A contact person from the form, normalised with the contact's own field names for errors."""
    raw = {k: str(v or "").strip() for k, v in (raw or {}).items() if k in CONTACT_KEYS}
    if not any(raw.values()):
        return None
    if not raw.get("name"):
        raise DomainError(_("Enter the contact's name."), field="contact_name")
    raw["phone"] = normalize_phone(raw.get("phone", ""), field="contact_phone")
    raw["email"] = normalize_email(raw.get("email", ""), field="contact_email")
    return raw


def _refuse_past(value: Any, *, field: str, message: str) -> None:
    """A date a person plans for (the first task, the expected close) is today or later."""
    if value in (None, ""):
        return
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            return  # the service that stores it reports the format
    if value < timezone.localdate():
        raise DomainError(message, field=field)


@transaction.atomic
def create_lead(*, actor: User, client: dict[str, Any], deal: dict[str, Any], task: dict[str, Any],
                allow_duplicate: bool = False, existing_client: Client | None = None,
                owner: User | None = None) -> Deal:
    """Create (or reuse) the client, then the deal on the pipeline's first stage with its first task.

    ``client`` holds the fields of ``create_client`` plus an optional ``contact`` dict (name, phone,
    email, position); ``deal`` holds ``pipeline``, ``title`` and optional ``amount``, ``product``,
    ``stage``, ``campaign``; ``task`` is the first task spec. Source and channel of the client are
    also the deal's. With ``existing_client`` the client fields are not written, except that a new
    contact person is added. ``owner`` gets the deal (default: the actor; web forms pass the assignee).
    Any error rolls everything back (``DuplicateClient`` included).
    """
    client = dict(client or {})
    deal = dict(deal or {})
    unknown = set(deal) - set(DEAL_KEYS)
    if unknown:
        raise DomainError(_("Unknown deal fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    _refuse_past(task.get("due_date") if isinstance(task, dict) else None, field="task_due_date",
                 message=_("The first task cannot be in the past: choose today or a later date."))
    _refuse_past(deal.get("expected_close_date"), field="expected_close_date",
                 message=_("The expected close date of an open deal cannot be in the past."))
    if owner is not None:
        require_assignable(actor, owner, field="owner")
        client.setdefault("responsible", owner)
    contact = _contact(client.pop("contact", None))
    if existing_client is not None:
        require_perm(actor, "change", existing_client)
        target = existing_client
        person = None
        if contact:
            person = (target.contacts.filter(name__iexact=contact["name"]).first()
                      or add_contact(actor=actor, client=target, **contact))
        source = client.get("source") or target.source
        channel = client.get("channel") or target.channel
        campaign = client.get("campaign") or target.campaign
    else:
        target = create_client(actor=actor, allow_duplicate=allow_duplicate,
                               contacts=[contact] if contact else None, **client)
        source, channel, campaign = target.source, target.channel, target.campaign
        person = target.contacts.order_by("-is_primary", "id").first() if contact else None

    product = deal.get("product")
    amount = deal.get("amount")
    if amount in (None, "") and product is not None and getattr(product, "price", None):
        amount = product.price
    values: dict[str, Any] = {
        "source": source, "channel": channel, "campaign": deal.get("campaign") or campaign, "product": product,
    }
    if amount not in (None, ""):
        values["amount"] = amount
    if deal.get("expected_close_date"):
        values["expected_close_date"] = deal["expected_close_date"]
    if person is not None:
        values["contact"] = person
    values = {k: v for k, v in values.items() if v not in (None, "")}
    title = (deal.get("title") or "").strip() or target.name
    created = create_deal(actor=actor, title=title, pipeline=deal.get("pipeline"), stage=deal.get("stage"),
                          client=target, first_task=task, values=values, owner=owner)
    logger.info("lead created", extra={"deal_id": created.pk, "client_id": target.pk,
                                       "existing_client": existing_client is not None})
    return created
