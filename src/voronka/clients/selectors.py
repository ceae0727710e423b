"""Reads of clients, always scoped to the actor."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import scope_q
from voronka.clients.models import Client, Contact, QualificationAnswer, Question
from voronka.core.errors import NotFound


def visible_clients(*, actor: User) -> QuerySet[Client]:
    return Client.objects.filter(scope_q(actor, "clients.Client"))


def get_client(*, actor: User, client_id: int) -> Client:
    try:
        return visible_clients(actor=actor).select_related(
            "responsible", "region", "industry", "target_audience", "source", "channel", "campaign",
            "refusal_reason",
        ).get(pk=client_id)
    except (Client.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Client not found.")) from exc


def find_duplicates(*, phone: str = "", email: str = "", inn: str = "", name_normalized: str = "",
                    exclude_id: int | None = None, limit: int = 5) -> list[Client]:
    """Clients that share a phone, email, INN or normalised name (with their contacts' phones/emails).

    Deliberately unscoped: a manager must learn that a client exists even if it belongs to a colleague.
    """
    q = Q()
    if phone:
        q |= Q(phone=phone) | Q(contacts__phone=phone)
    if email:
        q |= Q(email=email) | Q(contacts__email=email)
    if inn:
        q |= Q(inn=inn)
    if name_normalized:
        q |= Q(name_normalized=name_normalized)
    if not q:
        return []
    qs = Client.objects.filter(q).select_related("responsible").distinct().order_by("id")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs[:limit])


def search_clients(*, actor: User, text: str, limit: int = 20) -> QuerySet[Client]:
    text = (text or "").strip()
    qs = visible_clients(actor=actor)
    if not text:
        return qs.none()
    q = Q(name__icontains=text) | Q(inn=text) | Q(email__iexact=text) | Q(contacts__name__icontains=text)
    q |= Q(contacts__email__iexact=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 5:
        q |= Q(phone__contains=digits[-10:]) | Q(contacts__phone__contains=digits[-10:]) | Q(inn=digits)
    return qs.filter(q).distinct().select_related("responsible").order_by("name")[:limit]


def list_contacts(*, client: Client) -> QuerySet[Contact]:
    return client.contacts.all()


def qualification_sheet(*, client: Client) -> list[tuple[Question, QualificationAnswer | None]]:
    """Every active question with this client's answer (or None)."""
    answers = {a.question_id: a for a in client.answers.all()}
    questions = Question.objects.filter(is_active=True, question_set__is_active=True).select_related(
        "question_set")
    return [(q, answers.get(q.pk)) for q in questions]


def refusal_list(*, actor: User) -> QuerySet[Client]:
    return visible_clients(actor=actor).filter(status="refused").select_related(
        "refusal_reason", "responsible").order_by("-refused_at")
