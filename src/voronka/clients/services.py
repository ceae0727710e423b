"""Writes of clients, contacts, qualification answers and refusals."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_assignable, require_perm
from voronka.audit.services import diff
from voronka.catalog.models import LostReason
from voronka.catalog.services import clean_custom_values
from voronka.clients.models import Client, ClientStatus, Contact, QualificationAnswer, Question
from voronka.clients.normalize import normalize_email, normalize_inn, normalize_name, normalize_phone
from voronka.clients.selectors import find_duplicates
from voronka.core.errors import Conflict, DomainError
from voronka.core.validation import (
    ANSWER_MAX,
    COMMENT_MAX,
    NOTES_MAX,
    REQUISITES_MAX,
    check_text,
    clean_or_raise,
)
from voronka.events.services import record_event

logger = logging.getLogger(__name__)

CLIENT_FIELDS = (
    "kind", "name", "inn", "phone", "email", "website", "address", "requisites", "region", "industry",
    "target_audience", "source", "channel", "campaign", "rating", "responsible", "notes",
)


TEXT_LIMITS = {"notes": NOTES_MAX, "requisites": REQUISITES_MAX}


class StaleClient(Conflict):
    default_code = "stale"

    def __init__(self) -> None:
        super().__init__(_("Someone else has changed this client meanwhile. Reload the card and try again."),
                         field="version")


class DuplicateClient(Conflict):
    default_code = "duplicate"

    def __init__(self, duplicates: list[Client]) -> None:
        names = ", ".join(f"{c.name} (#{c.pk}, {c.responsible})" for c in duplicates)
        super().__init__(_("A client with the same phone, email, INN or name already exists: %(names)s.")
                         % {"names": names}, field="name")
        self.duplicates = duplicates


def _normalized(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "phone" in out:
        out["phone"] = normalize_phone(out["phone"] or "")
    if "email" in out:
        out["email"] = normalize_email(out["email"] or "")
    if "inn" in out:
        out["inn"] = normalize_inn(out["inn"] or "")
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
    for field, limit in TEXT_LIMITS.items():
        if field in out:
            out[field] = check_text(str(out[field] or ""), field=field, limit=limit)
    return out


@transaction.atomic
def create_client(*, actor: User, name: str, responsible: User | None = None, allow_duplicate: bool = False,
                  contacts: list[dict[str, Any]] | None = None, custom: dict[str, Any] | None = None,
                  **fields: Any) -> Client:
    """Create a client after a duplicate check on phone, email, INN and normalised name."""
    require_perm(actor, "change")
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise DomainError(_("Unknown client fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    data = _normalized({"name": name, **fields})
    if not data["name"]:
        raise DomainError(_("Enter the client's name."), field="name")
    responsible = responsible or actor
    require_assignable(actor, responsible, field="responsible")
    client = Client(responsible=responsible, **data)
    client.name_normalized = normalize_name(client.name)
    client.custom = clean_custom_values(entity="client", values=custom or {})
    clean_or_raise(client, exclude=["name_normalized"])
    if not allow_duplicate:
        contact_data = [{"phone": normalize_phone(c.get("phone") or "", field="contact_phone"),
                         "email": normalize_email(c.get("email") or "", field="contact_email")}
                        for c in contacts or []]
        duplicates = find_duplicates(phone=client.phone, email=client.email, inn=client.inn,
                                     name_normalized=client.name_normalized)
        for c in contact_data:
            duplicates += find_duplicates(phone=c["phone"], email=c["email"])
        if duplicates:
            raise DuplicateClient(list({d.pk: d for d in duplicates}.values()))
    client.save()
    for index, contact in enumerate(contacts or []):
        add_contact(actor=actor, client=client, is_primary=index == 0, **contact)
    record_event(actor=actor, verb="client.created", target=client)
    logger.info("client created", extra={"client_id": client.pk})
    return client


@transaction.atomic
def update_client(*, actor: User, client: Client, custom: dict[str, Any] | None = None,
                  expected_version: int | None = None, **fields: Any) -> Client:
    """Change the given fields; only the changed columns are written, on the version the caller saw.

    ``expected_version`` is the version the user's form showed (else the one ``client`` was read with); a
    concurrent write in between is a ``StaleClient`` conflict, never a silently lost update.
    """
    require_perm(actor, "change", client)
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise DomainError(_("Unknown client fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    seen = client.version if expected_version is None else expected_version
    if seen != client.version:
        raise StaleClient()
    data = _normalized(fields)
    if "name" in data and not data["name"]:
        raise DomainError(_("Enter the client's name."), field="name")
    if "responsible" in data and getattr(data["responsible"], "pk", None) != client.responsible_id:
        if data["responsible"] is None:
            raise DomainError(_("Choose the responsible manager."), field="responsible")
        require_assignable(actor, data["responsible"], field="responsible")
    before = {f: getattr(client, f) for f in (*data, "custom")}
    changed = [f for f, value in data.items() if getattr(client, f) != value]
    for field in changed:
        setattr(client, field, data[field])
    if "name" in changed:
        client.name_normalized = normalize_name(client.name)
        changed.append("name_normalized")
    if custom is not None:
        merged = clean_custom_values(entity="client", values=custom, current=client.custom)
        if merged != client.custom:
            client.custom = merged
            changed.append("custom")
    if not changed:
        return client
    clean_or_raise(client, exclude=["name_normalized"])
    _write(client, changed, seen)
    record_event(actor=actor, verb="client.updated", target=client,
                 changes=diff(client, before, [f for f in changed if f != "name_normalized"]))
    return client


def _write(client: Client, fields: list[str], seen: int | None = None) -> None:
    """UPDATE only ``fields`` (+ version, updated_at). With ``seen``: only if the row still has that version."""
    now = timezone.now()
    payload = {f: getattr(client, f) for f in dict.fromkeys(fields)}
    rows = Client.objects.filter(pk=client.pk)
    if seen is not None:
        if rows.filter(version=seen).update(version=seen + 1, updated_at=now, **payload) != 1:
            raise StaleClient()
        client.version = seen + 1
    else:
        rows.update(version=F("version") + 1, updated_at=now, **payload)
        client.version = rows.values_list("version", flat=True).get()
    client.updated_at = now


@transaction.atomic
def add_contact(*, actor: User, client: Client, name: str, phone: str = "", email: str = "",
                position: str = "", is_primary: bool = False) -> Contact:
    require_perm(actor, "change", client)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the contact's name."), field="contact_name")
    contact = Contact(client=client, name=name, position=position or "", is_primary=is_primary,
                      phone=normalize_phone(phone, field="contact_phone"),
                      email=normalize_email(email, field="contact_email"))
    clean_or_raise(contact)
    contact.save()
    record_event(actor=actor, verb="contact.created", target=contact, data={"client": client.pk})
    return contact


@transaction.atomic
def answer_questions(*, actor: User, client: Client, answers: dict[int, str]) -> list[QualificationAnswer]:
    """Save the given answers; an empty answer removes the stored one, questions not given stay as they are."""
    require_perm(actor, "change", client)
    questions = {q.pk: q for q in Question.objects.filter(pk__in=list(answers))}
    missing = set(answers) - set(questions)
    if missing:
        raise DomainError(_("Unknown qualification question."), field="answers")
    saved = []
    texts = {qid: check_text((text or "").strip(), field=f"q_{qid}", limit=ANSWER_MAX,
                             label=questions[qid].text) for qid, text in answers.items()}
    for question_id, text in texts.items():
        if not text:
            QualificationAnswer.objects.filter(client=client, question_id=question_id).delete()
            continue
        answer, _created = QualificationAnswer.objects.update_or_create(
            client=client, question_id=question_id, defaults={"answer": text, "answered_by": actor})
        saved.append(answer)
    record_event(actor=actor, verb="client.qualified", target=client)
    return saved


def _set_refused(client: Client, reason: LostReason, comment: str) -> None:
    client.status = ClientStatus.REFUSED
    client.refusal_reason = reason
    client.refusal_comment = check_text(comment or "", field="comment", limit=COMMENT_MAX)
    client.refused_at = timezone.now()
    _write(client, ["status", "refusal_reason", "refusal_comment", "refused_at"])


OPEN_DEALS_CHOICES = ("lose", "keep")


def check_open_deals_choice(client: Client, open_deals: str | None) -> int:
    """What happens to the client's open deals on refusal must be said when it has any: ``lose`` or ``keep``.

    Returns the number of open deals.
    """
    if open_deals not in (None, "", *OPEN_DEALS_CHOICES):
        raise DomainError(_("Choose whether to lose or keep the open deals."), field="open_deals")
    count = client.deals.filter(status="open").count()
    if count and not open_deals:
        raise DomainError(_("The client has %(n)s open deal(s): choose whether to lose them with the same reason "
                            "or keep them.") % {"n": count}, field="open_deals")
    return count


@transaction.atomic
def refuse_client(*, actor: User, client: Client, reason: LostReason | None, comment: str = "",
                  open_deals: str | None = None) -> Client:
    """Put the client on the refusal list (the Return pipeline and reanimation emails start from it).

    A client with open deals needs ``open_deals="keep"`` here; losing them with the same reason is
    ``deals.services.refuse_client_with_deals`` (the clients app does not import deals).
    """
    require_perm(actor, "change", client)
    if reason is None:
        raise DomainError(_("Choose a refusal reason."), field="lost_reason")
    if check_open_deals_choice(client, open_deals) and open_deals != "keep":
        raise DomainError(_("Open deals are lost through the deal services."), field="open_deals")
    before = {"status": client.status, "refusal_reason": client.refusal_reason}
    _set_refused(client, reason, comment)
    record_event(actor=actor, verb="client.refused", target=client,
                 changes=diff(client, before, ["status", "refusal_reason"]))
    return client


@transaction.atomic
def mark_client_won(*, client: Client) -> None:
    """A won deal makes a lead (or a refused client) a current client."""
    if client.status != ClientStatus.CLIENT:
        client.status = ClientStatus.CLIENT
        client.refusal_reason = None
        client.refused_at = None
        _write(client, ["status", "refusal_reason", "refused_at"])


def mark_client_lost(*, client: Client, reason: LostReason, comment: str = "") -> bool:
    """A lead whose last open deal is lost goes to the refusal list (the Return pipeline starts from it).

    Current clients (with a won deal) stay clients. Internal: the caller has checked permissions.
    """
    if client.status != ClientStatus.LEAD or client.deals.filter(status="open").exists():
        return False
    _set_refused(client, reason, comment)
    return True
