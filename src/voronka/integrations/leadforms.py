"""Web forms: the admin's form definition and the public submission, which goes through quick add's service
(``deals.leads.create_lead``): client, deal and first task, with a known phone or email attaching the new
deal to the existing client. Every post is logged (``FormSubmission``), the rejected ones with the reason.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Team, User
from voronka.accounts.permissions import require_perm
from voronka.accounts.selectors import pool_members
from voronka.accounts.services import get_system_actor, next_member
from voronka.activities.services import add_timeline_entry
from voronka.catalog.fields import CUSTOM_TEXT_MAX, CustomSpec, FieldRegistry, is_custom_key
from voronka.catalog.models import Campaign, Channel, Source
from voronka.clients.normalize import normalize_email, normalize_phone
from voronka.clients.selectors import find_duplicates
from voronka.core.errors import DomainError, NotFound
from voronka.deals.leads import create_lead
from voronka.deals.services import update_deal
from voronka.events.services import record_event
from voronka.integrations.models import (
    FORM_FIELDS,
    UTM_KEYS,
    AssignMode,
    FormSubmission,
    LeadForm,
    SubmissionStatus,
)

logger = logging.getLogger(__name__)

HONEYPOT = "website"  # a field people never see; bots fill it
TOKEN_FIELD = "form_token"
_SALT = "voronka.integrations.form"
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,49}", re.ASCII)
LIMITS = {"name": 200, "company": 255, "phone": 40, "email": 254, "comment": 4000}


class FormRejected(DomainError):
    """A submission refused (and logged); ``code`` is the logged reason."""


class RateLimited(FormRejected):
    status = 429


# --- the definition (administrators) ------------------------------------------------------------------------

def _clean_form_fields(fields: Any) -> list[str]:
    if not isinstance(fields, list | tuple) or not fields:
        raise DomainError(_("Choose the fields of the form."), field="fields")
    custom = custom_form_fields()
    unknown = [f for f in fields if f not in FORM_FIELDS and f not in custom]
    if unknown:
        raise DomainError(_("Unknown form field: %(f)s.") % {"f": str(unknown[0])[:40]}, field="fields")
    if "phone" not in fields and "email" not in fields:
        raise DomainError(_("A form asks for a phone or an email."), field="fields")
    if "name" not in fields and "company" not in fields:
        raise DomainError(_("A form asks for a name or a company."), field="fields")
    return [f for f in FORM_FIELDS if f in fields] + [f for f in custom if f in fields]


def custom_form_fields() -> dict[str, str]:
    """The active custom fields a web form may ask for: ``cf:<key>`` (the deal's) and ``client.cf:<key>``
    (the client's), from the field registry, with their labels."""
    return {spec.key: str(spec.label) for spec in FieldRegistry().specs() if isinstance(spec, CustomSpec)}


def field_limit(key: str) -> int:
    return LIMITS.get(key, CUSTOM_TEXT_MAX)


@transaction.atomic
def save_lead_form(*, actor, slug: str, title: str, pipeline, fields: list[str] | None = None,
                   assign_mode: str = AssignMode.FIXED, assignee: User | None = None, team: Team | None = None,
                   source: Source | None = None, task_title: str = "", is_active: bool = True) -> LeadForm:
    """Create the form with ``slug``, or update it (the demo calls this again on every run)."""
    require_perm(actor, "configure")
    slug = str(slug or "").strip().lower()
    if not _SLUG.fullmatch(slug):
        raise DomainError(_("A slug is lowercase latin letters, digits and dashes."), field="slug")
    title = str(title or "").strip()
    if not title or len(title) > 200:
        raise DomainError(_("Enter a title (at most 200 characters)."), field="title")
    if pipeline is None or not pipeline.is_active:
        raise DomainError(_("Choose an active pipeline."), field="pipeline")
    if assign_mode == AssignMode.FIXED:
        if assignee is None or not assignee.is_active or assignee.is_system or assignee.role == Role.ANALYST:
            raise DomainError(_("Choose the manager who gets the leads."), field="assignee")
        team = None
    elif assign_mode in (AssignMode.ROUND_ROBIN, AssignMode.LEAST_LOADED):
        if team is None:
            raise DomainError(_("Choose the team whose managers take turns."), field="team")
        assignee = None
    else:
        raise DomainError(_("Unknown assignment."), field="assign_mode")
    form = LeadForm.objects.select_for_update().filter(slug=slug).first() or LeadForm(slug=slug)
    created = form.pk is None
    form.title, form.pipeline, form.fields = title, pipeline, _clean_form_fields(fields or list(FORM_FIELDS))
    form.assign_mode, form.assignee, form.team, form.source = assign_mode, assignee, team, source
    form.task_title = str(task_title or "").strip()[:255]
    form.is_active = bool(is_active)
    form.save()
    record_event(actor=actor, verb="web_form.created" if created else "web_form.updated", target=form)
    return form


def get_active_form(*, slug: str) -> LeadForm:
    """The public page's form (no actor: anyone may post); a missing or switched-off one is a 404."""
    form = LeadForm.objects.select_related("pipeline").filter(slug=str(slug)[:50], is_active=True).first()
    if form is None:
        raise NotFound(_("No such form."))
    return form


# --- the public submission ----------------------------------------------------------------------------------

def form_token(form: LeadForm) -> str:
    """A signed "page shown at" stamp for the hidden field: the post must come a few seconds later."""
    return signing.dumps({"f": form.pk, "t": time.time()}, salt=_SALT, compress=True)


def _elapsed(form: LeadForm, token: str) -> float | None:
    try:
        data = signing.loads(token or "", salt=_SALT, max_age=settings.VORONKA_FORM_TOKEN_MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("f") != form.pk or not isinstance(data.get("t"), int | float):
        return None
    return time.time() - float(data["t"])


def _over_rate(ip: str | None) -> bool:
    limit = settings.VORONKA_FORM_RATE_PER_MINUTE
    if limit <= 0 or not ip:
        return False
    key = f"form-rate:{ip}:{int(time.time() // 60)}"
    if cache.add(key, 1, timeout=120):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:
        cache.add(key, 1, timeout=120)
        return False


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return str(value if value is not None else "").strip()


def _values(form: LeadForm, data: dict[str, Any]) -> dict[str, str]:
    """The asked fields, checked: texts within their limits, phone and email normalised, one of them given."""
    values = {}
    registry = None
    for key in form.fields:
        value = _text(data, key)
        if len(value) > field_limit(key):
            raise FormRejected(_("At most %(n)s characters.") % {"n": field_limit(key)}, field=key,
                               code="invalid")
        if is_custom_key(key):
            registry = registry or FieldRegistry()
            spec = registry.get(key)
            if spec is None:  # the field was switched off since the form was saved: not asked any more
                continue
            if value:
                spec.parse(value)  # the registry's check (a DomainError naming the field)
        values[key] = value
    if "phone" in values:
        values["phone"] = normalize_phone(values["phone"], field="phone")
    if "email" in values:
        values["email"] = normalize_email(values["email"], field="email")
    if not values.get("phone") and not values.get("email"):
        field = "phone" if "phone" in form.fields else "email"
        raise FormRejected(_("Leave a phone or an email so that we can reach you."), field=field, code="invalid")
    if not values.get("name") and not values.get("company"):
        field = "name" if "name" in form.fields else "company"
        raise FormRejected(_("Enter your name."), field=field, code="invalid")
    return values


def _by_name(model, value: str):
    return model.objects.filter(name__iexact=value.strip(), is_active=True).first() if value.strip() else None


def _marketing(form: LeadForm, utm: dict[str, str]) -> dict[str, Any]:
    """UTM parameters mapped to the dictionaries by name: source, channel (medium), campaign."""
    return {"source": _by_name(Source, utm.get("utm_source", "")) or form.source,
            "channel": _by_name(Channel, utm.get("utm_medium", "")),
            "campaign": _by_name(Campaign, utm.get("utm_campaign", ""))}


def pick_assignee(form) -> User:
    """The fixed manager; or, among the team's active managers and lead, the next one in turn (round-robin)
    or the one with the fewest open deals (least loaded; ties: by the turn). ``form``: a ``LeadAssignment``
    (a web form, the mailbox settings); the turn is its pool's in ``accounts`` (``next_member``)."""
    if form.assign_mode == AssignMode.FIXED:
        return form.assignee
    chosen = next_member(key=form.turn_key, members=pool_members(team_id=form.team_id), mode=form.assign_mode)
    if chosen is None:
        raise FormRejected(_("The form has nobody to give the lead to."), code="no_assignee")
    return chosen


def _log(form: LeadForm, *, status: str, meta: dict[str, Any], data: dict[str, Any], reason: str = "",
         detail: str = "", deal=None, existing: bool = False) -> FormSubmission:
    return FormSubmission.objects.create(
        form=form, status=status, reason=reason[:32], detail=detail[:500], ip=meta.get("ip") or None,
        user_agent=str(meta.get("user_agent") or "")[:300], referrer=str(meta.get("referrer") or "")[:1000],
        utm=meta.get("utm") or {}, data=data, deal=deal, client=getattr(deal, "client", None),
        existing_client=existing)


def _safe_data(form: LeadForm, data: dict[str, Any]) -> dict[str, str]:
    """What is logged of a post: the form's own fields, cut (a rejected post may be anything)."""
    return {k: _text(data, k)[: field_limit(k)] for k in form.fields if _text(data, k)}


def submit_lead_form(*, form: LeadForm, data: dict[str, Any], meta: dict[str, Any]) -> FormSubmission:
    """Check a public post (rate per IP, honeypot, fill time, values) and turn it into a lead.

    ``meta``: ``ip``, ``user_agent``, ``referrer`` and ``utm`` (a dict of the ``utm_*`` keys). A refusal
    is logged and raised as ``FormRejected`` (``RateLimited``: 429) with the reason as ``code``.
    """
    meta = {**meta, "utm": {k: str(v)[:200] for k, v in (meta.get("utm") or {}).items() if k in UTM_KEYS and v}}
    logged = _safe_data(form, data)

    def reject(exc: FormRejected) -> None:
        _log(form, status=SubmissionStatus.REJECTED, meta=meta, data=logged, reason=exc.code, detail=exc.message)
        logger.info("form submission rejected", extra={"form_id": form.pk, "reason": exc.code})
        raise exc

    if _over_rate(meta.get("ip")):
        reject(RateLimited(_("Too many requests from your address: try again in a minute."), code="rate_limited"))
    if _text(data, HONEYPOT):
        reject(FormRejected(_("Rejected."), code="honeypot"))
    elapsed = _elapsed(form, _text(data, TOKEN_FIELD))
    if elapsed is None:
        reject(FormRejected(_("The form has expired: reload the page and send it again."), code="bad_token"))
    if elapsed < settings.VORONKA_FORM_MIN_FILL_SECONDS:
        reject(FormRejected(_("That was too fast: please check the form and send it again."), code="too_fast"))
    try:
        values = _values(form, data)
        with transaction.atomic():
            submission = _create(form, values, meta, logged)
    except FormRejected as exc:
        reject(exc)
    except DomainError as exc:
        reject(FormRejected(exc.message, field=exc.field, code="invalid"))
    return submission


def _create(form: LeadForm, values: dict[str, str], meta: dict[str, Any], logged: dict[str, str]
            ) -> FormSubmission:
    system = get_system_actor()
    form = LeadForm.objects.get(pk=form.pk)  # as it is now (the turn is locked by ``next_member``)
    owner = pick_assignee(form)
    marketing = _marketing(form, meta["utm"])
    phone, email = values.get("phone", ""), values.get("email", "")
    known = find_duplicates(phone=phone, email=email, limit=1)
    existing = known[0] if known else None
    company, person = values.get("company", ""), values.get("name", "")
    contact = {"name": person, "phone": phone, "email": email} if company and person else None
    client = {"kind": "company" if company else "person", "name": company or person, "phone": phone,
              "email": email, "responsible": owner, **{k: v for k, v in marketing.items() if v is not None}}
    if contact:
        client["contact"] = contact
    if existing is not None:
        client = {k: v for k, v in client.items() if k in ("contact", "source", "channel", "campaign")}
    task = {"title": form.task_title or _("Contact the web form request"), "kind": "call",
            "due_date": timezone.localdate()}
    deal = create_lead(actor=system, client=client, existing_client=existing, allow_duplicate=True,
                       deal={"pipeline": form.pipeline, "title": f"{form.title}: {company or person}"[:255],
                             "campaign": marketing["campaign"]},
                       task=task, owner=owner)
    note = [values.get("comment", "")]
    if meta.get("referrer"):
        note.append(_("Referrer: %(url)s") % {"url": meta["referrer"]})
    if meta["utm"]:
        note.append("UTM: " + ", ".join(f"{k}={v}" for k, v in sorted(meta["utm"].items())))
    custom = {k: v for k, v in values.items() if is_custom_key(k) and v}
    if custom:  # deal and client custom fields, through the deals service (parsed by the registry again)
        deal = update_deal(actor=system, deal=deal, values=custom)
    body = "\n".join(n for n in note if n)
    if body:
        add_timeline_entry(actor=system, kind="note", body=body[:10_000], deal=deal)
    submission = _log(form, status=SubmissionStatus.ACCEPTED, meta=meta, data=logged, deal=deal,
                      existing=existing is not None)
    record_event(actor=system, verb="form.submitted", target=deal,
                 data={"form": form.slug, "submission": submission.pk, "client": deal.client_id,
                       "existing_client": existing is not None, "utm": meta["utm"],
                       "referrer": meta.get("referrer") or ""})
    logger.info("form submission accepted", extra={"form_id": form.pk, "deal_id": deal.pk})
    return submission
