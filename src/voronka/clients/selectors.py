"""Reads of clients, always scoped to the actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import scope_q
from voronka.clients.models import (
    Client,
    ClientStatus,
    Contact,
    QualificationAnswer,
    Question,
    QuestionSet,
    Rating,
)
from voronka.core.errors import NotFound
from voronka.core.params import parse_id
from voronka.core.search import text_contains


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
    qs = (Client.objects.filter(q).exclude(status=ClientStatus.ARCHIVED).select_related("responsible")
          .distinct().order_by("id"))
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs[:limit])



def list_contacts(*, client: Client) -> QuerySet[Contact]:
    return client.contacts.all()


def qualification_sheet(*, client: Client) -> list[tuple[Question, QualificationAnswer | None]]:
    """Every active question with this client's answer (or None)."""
    answers = {a.question_id: a for a in client.answers.all()}
    questions = Question.objects.filter(is_active=True, question_set__is_active=True).select_related(
        "question_set")
    return [(q, answers.get(q.pk)) for q in questions]


# --- Client list, client card -----------------------------------------------------------------------

CLIENT_PAGE = 50
CLIENT_ORDERS = ("name", "-name", "created_at", "-created_at", "rating", "-rating", "refused_at", "-refused_at")


@dataclass
class ClientFilter:
    """Filters of the client list (all optional); malformed values are ignored, never raised."""

    status: str = ""
    rating: str = ""
    responsible: int | None = None
    region: int | None = None
    source: int | None = None
    q: str = ""

    @classmethod
    def from_params(cls, params: Any) -> ClientFilter:
        def as_int(key: str) -> int | None:
            return parse_id(params.get(key))

        status = params.get("status") or ""
        rating = params.get("rating") or ""
        return cls(
            status=status if status in ClientStatus.values else "",
            rating=rating if rating in Rating.values else "",
            responsible=as_int("responsible"), region=as_int("region"), source=as_int("source"),
            q=(params.get("q") or "").strip()[:100],
        )

    def as_query(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "")}


def _search_q(text: str) -> Q:
    q = text_contains("name", text) | Q(inn=text) | Q(email__iexact=text) | text_contains("contacts__name", text)
    q |= Q(contacts__email__iexact=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 5:
        q |= Q(phone__contains=digits[-10:]) | Q(contacts__phone__contains=digits[-10:]) | Q(inn=digits)
    return q


def list_clients(*, actor: User, filters: ClientFilter | None = None, order: str = "name") -> QuerySet[Client]:
    """The client list (or the refusal list with ``status=refused``) with what a row shows, scoped."""
    f = filters or ClientFilter()
    qs = visible_clients(actor=actor)
    if not f.status:
        qs = qs.exclude(status=ClientStatus.ARCHIVED)  # the archive is its own tab
    simple = {"status": f.status, "rating": f.rating, "responsible_id": f.responsible, "region_id": f.region,
              "source_id": f.source}
    qs = qs.filter(**{k: v for k, v in simple.items() if v not in (None, "")})
    if f.q:
        # A subquery instead of DISTINCT on the joined contacts keeps ordering and counting cheap.
        qs = qs.filter(pk__in=Client.objects.filter(_search_q(f.q)).values("pk"))
    if order not in CLIENT_ORDERS:
        order = "-refused_at" if f.status == ClientStatus.REFUSED else "name"
    return qs.select_related("responsible", "region", "source", "refusal_reason").order_by(order, "id")


def visible_client_ids(*, actor: User, ids: list[int]) -> set[int]:
    """Which of ``ids`` the actor may open (for duplicate warnings that name clients of colleagues)."""
    return set(visible_clients(actor=actor).filter(pk__in=ids).values_list("pk", flat=True))


@dataclass
class ClientCard:
    contacts: list[Contact]
    sheet: list[tuple[Question, QualificationAnswer | None]]
    deals: list[Any]
    open_tasks: list[Any]
    closed_tasks: list[Any]

    @property
    def answered(self) -> int:
        return sum(1 for _q, a in self.sheet if a is not None)


def client_deals(*, actor: User, client: Client) -> list[Any]:
    """The client's deals the actor may see (open first, newest first).

    Read through the reverse relation and scoped with the same ``scope_q`` rule as ``deals.selectors``
    (the clients app does not import deals).
    """
    return list(
        client.deals.filter(scope_q(actor, "deals.Deal"))
        .select_related("pipeline", "stage", "owner")
        .order_by("status", "-created_at", "-id")
    )


def client_tasks(*, actor: User, client: Client, closed_limit: int = 20) -> tuple[list[Any], list[Any]]:
    """Open tasks of the client (its deals' included) and the latest closed ones, scoped like tasks are."""
    tasks = client.tasks.filter(scope_q(actor, "activities.Task")).select_related(
        "assignee", "deal", "deal__stage", "deal__client", "client")
    open_tasks = list(tasks.filter(status="open").order_by("due_date", "due_time", "id"))
    closed = list(tasks.exclude(status="open").order_by("-completed_at", "-id")[:closed_limit])
    return open_tasks, closed


def client_card(*, actor: User, client: Client) -> ClientCard:
    """Everything the client card shows besides the timeline, in a fixed number of queries."""
    open_tasks, closed_tasks = client_tasks(actor=actor, client=client)
    return ClientCard(contacts=list(list_contacts(client=client)), sheet=qualification_sheet(client=client),
                      deals=client_deals(actor=actor, client=client), open_tasks=open_tasks,
                      closed_tasks=closed_tasks)


def client_history(*, actor: User, client: Client, limit: int = 200) -> list[Any]:
    """The client's timeline, newest first: its own entries and those of its deals the actor may see.

    Like ``activities.selectors.timeline_of``, but entries of a colleague's deal outside the actor's
    scope stay hidden (invariant 5), decided in the same query.
    """
    visible_deals = client.deals.filter(scope_q(actor, "deals.Deal")).values("pk")
    return list(
        client.activities.filter(Q(deal__isnull=True) | Q(deal__in=visible_deals))
        .select_related("author", "deal").order_by("-at", "-id")[:limit]
    )


# --- qualification questions: keys, answers, the settings screens ----------------------------------------

QUESTION_KEY_PREFIX = "q:"


def question_key(question: Question | int) -> str:
    """The required-field key of a question (``q:<id>``), as MissingFields and the move dialog name it."""
    return f"{QUESTION_KEY_PREFIX}{question if isinstance(question, int) else question.pk}"


def question_id_from_key(key: str) -> int | None:
    """The question id in a ``q:<id>`` key (ASCII digits), else None."""
    if not isinstance(key, str) or not key.startswith(QUESTION_KEY_PREFIX):
        return None
    return parse_id(key[len(QUESTION_KEY_PREFIX):])


def normalized_question_text(text: str) -> str:
    """How two question texts are compared: case, spaces and a final "?" do not matter."""
    return " ".join(str(text or "").casefold().split()).rstrip("?").strip()


def unanswered_question_ids(*, client: Client, question_ids: list[int]) -> list[int]:
    """The ids among ``question_ids`` the client has no answer to, in the given order (one query)."""
    if not question_ids:
        return []
    answered = set(QualificationAnswer.objects.filter(client=client, question_id__in=question_ids)
                   .values_list("question_id", flat=True))
    return [qid for qid in question_ids if qid not in answered]


def question_texts(question_ids: list[int]) -> dict[int, str]:
    return dict(Question.objects.filter(pk__in=question_ids).values_list("pk", "text"))


def find_question(text: str) -> Question | None:
    """The catalogue question with this text (compared normalised), an active one first."""
    wanted = normalized_question_text(text)
    if not wanted:
        return None
    candidates = Question.objects.select_related("question_set").order_by("-is_active", "question_set_id", "id")
    # Python comparison: SQLite lowercases ASCII only, and the catalogue is small.
    return next((q for q in candidates if normalized_question_text(q.text) == wanted), None)


def list_question_sets(*, actor: User) -> QuerySet[QuestionSet]:
    return QuestionSet.objects.annotate(
        total=Count("questions"), active=Count("questions", filter=Q(questions__is_active=True)),
    ).order_by("name", "id")


def get_question_set(*, actor: User, set_id: Any) -> QuestionSet:
    pk = parse_id(set_id)
    found = QuestionSet.objects.filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(_("Question set not found."), field="question_set")
    return found


def list_questions(*, actor: User, question_set: QuestionSet) -> QuerySet[Question]:
    return question_set.questions.order_by("sort_order", "id")


def get_question(*, actor: User, question_id: Any) -> Question:
    pk = parse_id(question_id)
    found = Question.objects.select_related("question_set").filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(_("Question not found."), field="question")
    return found
