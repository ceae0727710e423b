"""After-sales satisfaction: N days after a deal is won (per pipeline, ``SurveySetting``) the client's contact
gets an email with a tokenized link to a hosted page (score 0–10 and a comment). The answer goes on the client's
timeline; a score of 6 or less (a detractor) gives the owner's team lead a task. NPS = % promoters (9–10) −
% detractors (0–6) over the answers in the user's scope.

``send_due_surveys`` runs from ``voronka tick``: a deal gets one survey row (unique), so a repeated tick sends
nothing twice; a mail that fails leaves the row unsent and the next tick retries it with a new token (only the
token's SHA-256 is stored, so it cannot be re-sent as it was).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_perm, scope_q
from voronka.accounts.services import get_system_actor
from voronka.activities.models import ActivityKind, TaskKind
from voronka.activities.services import create_task, log_activity
from voronka.core.errors import DomainError, NotFound
from voronka.deals.models import Deal, DealStatus
from voronka.events.services import record_event

from .models import Survey, SurveySetting
from .services import recipient_of_deal

logger = logging.getLogger(__name__)
DETRACTOR_MAX = 6


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def set_survey_days(*, actor: User, pipeline, days: Any) -> SurveySetting | None:
    """Survey the clients of ``pipeline`` this many days after won (0–365); empty switches it off."""
    require_perm(actor, "configure")
    if days in (None, ""):
        SurveySetting.objects.filter(pipeline=pipeline).delete()
        return None
    text = str(days).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 365:
        raise DomainError(_("Enter a number of days from 0 to 365."), field=f"days_{pipeline.pk}")
    setting, _created = SurveySetting.objects.update_or_create(pipeline=pipeline,
                                                               defaults={"days_after_won": int(text)})
    record_event(actor=actor, verb="billing.survey_setting", target=setting, data={"days": int(text)})
    return setting


def due_deals(*, now: dt.datetime) -> QuerySet[Deal]:
    """Won deals of surveyed pipelines whose days have passed and that have no survey yet."""
    out = Deal.objects.none()
    for setting in SurveySetting.objects.all():
        out = out | Deal.objects.filter(pipeline_id=setting.pipeline_id, status=DealStatus.WON,
                                        closed_at__lte=now - dt.timedelta(days=setting.days_after_won),
                                        survey__isnull=True)
    return out


def language_of(survey: Survey) -> str:
    """The client's language (``Client.language``): the email and the hosted page are written in it."""
    return getattr(survey.deal.client, "language", "") or settings.LANGUAGE_CODE


def _send(survey: Survey) -> bool:
    token = secrets.token_urlsafe(24)
    Survey.objects.filter(pk=survey.pk).update(token_hash=_hash(token))
    link = f"{settings.VORONKA_BASE_URL.rstrip('/')}{reverse('survey:answer', args=[token])}"
    with translation.override(language_of(survey)):
        subject = _("How did we do? %(deal)s") % {"deal": survey.deal.title}
        body = _("Thank you for working with us. How likely are you to recommend us to a friend or colleague? "
                 "One click, a score from 0 to 10: %(link)s") % {"link": link}
    try:
        send_mail(subject, body, None, [survey.email], fail_silently=False)
    except Exception:  # a mail server's trouble is retried by the next tick
        logger.exception("survey email failed", extra={"survey_id": survey.pk})
        return False
    Survey.objects.filter(pk=survey.pk).update(sent_at=timezone.now())
    return True


def send_due_surveys(*, now: dt.datetime | None = None) -> int:
    """Create and send the surveys due at ``now`` (and retry unsent ones); the number sent."""
    now = now or timezone.now()
    for deal in due_deals(now=now).select_related("client", "contact").order_by("pk"):
        email = recipient_of_deal(deal)
        if not email:
            continue
        try:
            with transaction.atomic():
                Survey.objects.create(deal=deal, email=email, token_hash=_hash(secrets.token_urlsafe(24)))
        except IntegrityError:  # a concurrent tick made it
            continue
    sent = 0
    for survey in Survey.objects.filter(sent_at__isnull=True, answered_at__isnull=True).select_related(
            "deal", "deal__client"):
        sent += _send(survey)
    return sent


def survey_by_token(token: str) -> Survey:
    if not isinstance(token, str) or not 10 <= len(token) <= 100:
        raise NotFound(_("This survey link is not valid."))
    survey = Survey.objects.select_related("deal", "deal__client", "deal__owner", "deal__owner_team").filter(
        token_hash=_hash(token)).first()
    if survey is None:
        raise NotFound(_("This survey link is not valid."))
    return survey


@transaction.atomic
def answer_survey(*, token: str, score: Any, comment: str = "") -> Survey:
    """The client's answer (once): on the client's timeline; a detractor's score tasks the team lead."""
    survey = survey_by_token(token)
    survey = Survey.objects.select_for_update().select_related("deal", "deal__client", "deal__owner").get(
        pk=survey.pk)
    if survey.answered_at is not None:
        raise DomainError(_("This survey is already answered. Thank you!"), field="score", code="answered")
    text = str(score if score is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 10:
        raise DomainError(_("Choose a score from 0 to 10."), field="score")
    comment = str(comment or "").strip()
    if len(comment) > 2000:
        raise DomainError(_("At most %(n)s characters.") % {"n": 2000}, field="comment")
    survey.score, survey.comment, survey.answered_at = int(text), comment, timezone.now()
    survey.save(update_fields=["score", "comment", "answered_at"])
    system = get_system_actor()
    deal = survey.deal
    body = _("After-sales survey: score %(score)s of 10.") % {"score": survey.score}
    if comment:
        body += f"\n{comment}"
    log_activity(kind=ActivityKind.NOTE, author=None, client=deal.client, deal=deal, body=body,
                 data={"survey": survey.pk, "score": survey.score})
    record_event(actor=system, verb="survey.answered", target=survey, data={"deal": deal.pk, "score": survey.score})
    if survey.score <= DETRACTOR_MAX:
        team = deal.owner_team or deal.owner.team
        lead = team.lead if team is not None and team.lead_id else deal.owner
        if lead.is_active:
            create_task(actor=system, deal=None, client=deal.client, assignee=lead, kind=TaskKind.CALL,
                        due_date=timezone.localdate(),
                        title=(_("Low satisfaction score %(score)s: %(client)s") % {
                            "score": survey.score, "client": deal.client.name})[:255])
    return survey


def nps(*, actor: User) -> dict[str, Any]:
    """NPS over the answered surveys of the deals in the actor's scope: counts and the score (−100…100)."""
    scores = list(Survey.objects.filter(answered_at__isnull=False,
                                        deal__in=Deal.objects.filter(scope_q(actor, "deals.Deal")))
                  .values_list("score", flat=True))
    total = len(scores)
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    score = round(100 * (promoters - detractors) / total) if total else None
    return {"answers": total, "promoters": promoters, "passives": total - promoters - detractors,
            "detractors": detractors, "nps": score}
