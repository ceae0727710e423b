"""Writes of clients, contacts, qualification answers and refusals."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_assignable, require_perm
from voronka.audit.services import diff, record_disclosure
from voronka.catalog.models import LostReason
from voronka.catalog.services import clean_custom_values
from voronka.clients.models import Client, ClientStatus, Contact, QualificationAnswer, Question, QuestionSet
from voronka.clients.normalize import normalize_email, normalize_inn, normalize_name, normalize_phone
from voronka.clients.selectors import find_duplicates, find_question, normalized_question_text
from voronka.core.errors import Conflict, DomainError
from voronka.core.ratelimit import count_hit
from voronka.core.requisites import REQUISITE_LENGTHS, normalize_requisite
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
    *REQUISITE_LENGTHS, "legal_address", "bank_name", "language",
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
        names = ", ".join(f"{c.name} ({c.responsible})" for c in duplicates)  # no more than name and manager
        super().__init__(_("A client with the same phone, email, INN or name already exists: %(names)s.")
                         % {"names": names}, field="name")
        self.duplicates = duplicates


def disclose_matches(*, actor: User, clients: list[Client], via: str) -> tuple[list[Client], bool]:
    """Clients outside the actor's scope that match his lookup exactly (phone, email, INN, name).

    They are named to him, with their responsible manager only, so that nobody duplicates a colleague's
    client; each disclosure is audited (``client.disclosed``, ``via`` the search or quick add), and the
    lookups that disclose are limited per user and hour (``VORONKA_FOREIGN_LOOKUPS_PER_HOUR``), so the
    base cannot be harvested by trying numbers. Returns the clients to name, and whether the limit withheld
    them.
    """
    if not clients or actor is None:
        return [], False
    limit = settings.VORONKA_FOREIGN_LOOKUPS_PER_HOUR
    if limit > 0:
        count, _left = count_hit(f"disclose:{actor.pk}", window_seconds=3600)
        if count > limit:
            return [], True
    for client in clients:
        record_disclosure(actor=actor, obj=client, via=via)
    return clients, False


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
    for field in REQUISITE_LENGTHS:
        if field in out:
            out[field] = normalize_requisite(field, out[field])
    for field in ("legal_address", "bank_name"):
        if field in out:
            out[field] = str(out[field] or "").strip()
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


# --- settings: qualification question sets and their questions ------------------------------------------
# (administrators: every write checks ``configure``, runs in a transaction and leaves an audit entry;
# questions are switched off, never deleted, so the answers already given keep their question)

QUESTION_MAX = Question._meta.get_field("text").max_length
SET_NAME_MAX = QuestionSet._meta.get_field("name").max_length


def _clean_set_name(name: str, *, exclude: int | None = None) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise DomainError(_("Enter the name of the question set."), field="name")
    if len(name) > SET_NAME_MAX:
        raise DomainError(_("The name is at most %(n)s characters.") % {"n": SET_NAME_MAX}, field="name")
    others = QuestionSet.objects.exclude(pk=exclude).values_list("name", flat=True)
    if any(other.casefold() == name.casefold() for other in others):
        raise DomainError(_("A question set “%(name)s” already exists.") % {"name": name}, field="name")
    return name


def _clean_question_text(text: str, question_set: QuestionSet, *, exclude: int | None = None) -> str:
    text = " ".join(str(text or "").split())
    if not text:
        raise DomainError(_("Enter the question."), field="text")
    if len(text) > QUESTION_MAX:
        raise DomainError(_("A question is at most %(n)s characters.") % {"n": QUESTION_MAX}, field="text")
    wanted = normalized_question_text(text)
    siblings = question_set.questions.exclude(pk=exclude).values_list("text", flat=True)
    if any(normalized_question_text(other) == wanted for other in siblings):
        raise DomainError(_("The set already has this question."), field="text")
    return text


@transaction.atomic
def create_question_set(*, actor: User, name: str) -> QuestionSet:
    require_perm(actor, "configure")
    question_set = QuestionSet.objects.create(name=_clean_set_name(name))
    record_event(actor=actor, verb="question_set.created", target=question_set)
    return question_set


@transaction.atomic
def update_question_set(*, actor: User, question_set: QuestionSet, name: str | None = None,
                        is_active: bool | None = None) -> QuestionSet:
    """Rename a set or switch it off (its questions are then asked nowhere, their answers stay)."""
    require_perm(actor, "configure")
    if not isinstance(question_set, QuestionSet) or question_set.pk is None:
        raise DomainError(_("Choose a question set."), field="question_set")
    fields = [f for f, v in (("name", name), ("is_active", is_active)) if v is not None]
    before = {f: getattr(question_set, f) for f in fields}
    if name is not None:
        question_set.name = _clean_set_name(name, exclude=question_set.pk)
    if is_active is not None:
        question_set.is_active = bool(is_active)
    if fields:
        question_set.save(update_fields=fields)
        record_event(actor=actor, verb="question_set.updated", target=question_set,
                     changes=diff(question_set, before, fields))
    return question_set


@transaction.atomic
def add_question(*, actor: User, question_set: QuestionSet, text: str) -> Question:
    """A new question at the end of its set."""
    require_perm(actor, "configure")
    if not isinstance(question_set, QuestionSet) or question_set.pk is None:
        raise DomainError(_("Choose a question set."), field="question_set")
    text = _clean_question_text(text, question_set)
    order = (question_set.questions.aggregate(m=Max("sort_order"))["m"] or 0) + 1
    question = Question.objects.create(question_set=question_set, text=text, sort_order=order)
    record_event(actor=actor, verb="question.created", target=question)
    return question


@transaction.atomic
def update_question(*, actor: User, question: Question, text: str | None = None,
                    is_active: bool | None = None) -> Question:
    """Reword a question or switch it off (stages stop asking it; given answers are kept)."""
    require_perm(actor, "configure")
    if not isinstance(question, Question) or question.pk is None:
        raise DomainError(_("Choose a question."), field="question")
    fields = [f for f, v in (("text", text), ("is_active", is_active)) if v is not None]
    before = {f: getattr(question, f) for f in fields}
    if text is not None:
        question.text = _clean_question_text(text, question.question_set, exclude=question.pk)
    if is_active is not None:
        question.is_active = bool(is_active)
    if fields:
        question.save(update_fields=fields)
        record_event(actor=actor, verb="question.updated", target=question, changes=diff(question, before, fields))
    return question


@transaction.atomic
def reorder_questions(*, actor: User, question_set: QuestionSet, question_ids: list[int]) -> list[Question]:
    """Set the order of a set's questions; the list must name each of them exactly once."""
    require_perm(actor, "configure")
    questions = {q.pk: q for q in question_set.questions.select_for_update()}
    if sorted(question_ids) != sorted(questions):
        raise DomainError(_("The new order must list every question of the set exactly once."), field="order")
    changed = []
    for position, question_id in enumerate(question_ids, start=1):
        if questions[question_id].sort_order != position:
            questions[question_id].sort_order = position
            changed.append(questions[question_id])
    Question.objects.bulk_update(changed, ["sort_order"])
    record_event(actor=actor, verb="question_set.reordered", target=question_set)
    return [questions[i] for i in question_ids]


@transaction.atomic
def move_question(*, actor: User, question: Question, direction: str) -> list[Question]:
    """Move a question one place ``up`` or ``down`` in its set (a no-op at either end)."""
    require_perm(actor, "configure")
    if direction not in ("up", "down"):
        raise DomainError(_("Unknown direction."), field="direction")
    ids = list(Question.objects.filter(question_set_id=question.question_set_id).order_by("sort_order", "id")
               .values_list("id", flat=True))
    i = ids.index(question.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return reorder_questions(actor=actor, question_set=question.question_set, question_ids=ids)


@transaction.atomic
def ensure_question_set(*, actor: User, name: str) -> QuestionSet:
    """The set with this name (compared case-insensitively), created when missing."""
    require_perm(actor, "configure")
    wanted = " ".join(str(name or "").split())
    found = next((s for s in QuestionSet.objects.all() if s.name.casefold() == wanted.casefold()), None)
    return found or create_question_set(actor=actor, name=wanted)


@transaction.atomic
def ensure_question(*, actor: User, text: str, question_set: QuestionSet) -> Question:
    """The catalogue question with this text wherever it is (so answers already given count), else a new
    question in ``question_set``."""
    require_perm(actor, "configure")
    return find_question(text) or add_question(actor=actor, question_set=question_set, text=text)


@transaction.atomic
def set_client_archived(*, actor: User, client: Client, archived: bool) -> Client:
    """Put a client away (status "archived": a mistake, a duplicate) or bring him back; nothing is deleted.

    An archived client leaves the lists (he has the Archive tab), search and the duplicate check; his page,
    deals and history stay. A client with an open deal is not archived (close or move the deal first).
    Restoring gives back the status his record implies: refused if he was refused, a current client after
    a won deal, else a lead.
    """
    require_perm(actor, "change", client)
    if archived == (client.status == ClientStatus.ARCHIVED):
        return client
    if archived and client.deals.filter(status="open").exists():
        raise DomainError(_("The client has open deals: close them first."), field="archived")
    before = client.status
    if archived:
        client.status = ClientStatus.ARCHIVED
    elif client.refused_at is not None:
        client.status = ClientStatus.REFUSED
    else:
        client.status = ClientStatus.CLIENT if client.deals.filter(status="won").exists() else ClientStatus.LEAD
    _write(client, ["status"])
    record_event(actor=actor, verb="client.archived" if archived else "client.restored", target=client,
                 changes={"status": (before, client.status)})
    return client
