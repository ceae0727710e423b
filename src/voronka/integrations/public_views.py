"""The hosted page of a web form: anyone may open it and post (no sign-in, no CSRF cookie: a site elsewhere
posts to it); the spam defences are the honeypot, the signed fill-time stamp and the rate per IP."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from voronka.catalog.fields import is_custom_key
from voronka.core.errors import DomainError, NotFound
from voronka.core.http import client_ip, get_or_404, problem
from voronka.integrations.calendar import build_feed, feed_owner, feed_tasks
from voronka.integrations.leadforms import (
    HONEYPOT,
    TOKEN_FIELD,
    FormRejected,
    custom_form_fields,
    field_limit,
    form_token,
    get_active_form,
    submit_lead_form,
)
from voronka.integrations.models import UTM_KEYS
from voronka.integrations.telephony import log_call, token_matches


def _context(request, form, *, values=None, errors=None, message="", utm=None, referrer=""):
    labels = {"name": _("Your name"), "company": _("Company"), "phone": _("Phone"), "email": _("Email"),
              "comment": _("Comment")}
    if any(is_custom_key(k) for k in form.fields):
        labels.update(custom_form_fields())
    return {"lead_form": form, "token": form_token(form), "honeypot": HONEYPOT, "token_field": TOKEN_FIELD,
            "fields": [{"key": k, "label": labels[k], "value": (values or {}).get(k, ""),
                        "error": (errors or {}).get(k, ""), "max": field_limit(k)} for k in form.fields
                       if k in labels],
            "message": message, "utm": utm or {}, "referrer": referrer}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def lead_form_page(request, slug):
    form = get_or_404(get_active_form, slug=slug)
    source = request.POST if request.method == "POST" else request.GET
    utm = {k: source.get(k, "")[:200] for k in UTM_KEYS if source.get(k)}
    if request.method == "GET":
        referrer = request.headers.get("Referer", "")[:1000]
        return render(request, "integrations/form_page.html", _context(request, form, utm=utm, referrer=referrer))
    referrer = (request.POST.get("referrer") or request.headers.get("Referer", ""))[:1000]
    meta = {"ip": client_ip(request), "user_agent": request.headers.get("User-Agent", ""), "referrer": referrer,
            "utm": utm}
    as_json = "application/json" in request.headers.get("Accept", "")  # the snippet's voronka-form.js
    try:
        submit_lead_form(form=form, data=request.POST.dict(), meta=meta)
    except FormRejected as exc:
        if exc.code == "honeypot":  # tell a bot nothing
            return _json_thanks() if as_json else render(request, "integrations/form_thanks.html",
                                                         {"lead_form": form})
        if as_json:
            return _cors(JsonResponse({"ok": False, "field": exc.field if exc.field in form.fields else None,
                                       "message": exc.message}, status=exc.status))
        errors = {exc.field: exc.message} if exc.field in form.fields else {}
        context = _context(request, form, values=request.POST.dict(), errors=errors,
                           message="" if errors else exc.message, utm=utm, referrer=referrer)
        return render(request, "integrations/form_page.html", context, status=exc.status)
    if as_json:
        return _json_thanks()
    return render(request, "integrations/form_thanks.html", {"lead_form": form})


def _cors(response: HttpResponse) -> HttpResponse:
    """Any site may post the form and read the answer (no cookies are sent or read: nothing to steal)."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


def _json_thanks() -> HttpResponse:
    message = f"{_('Thank you!')} {_('We have your request and will contact you soon.')}"
    return _cors(JsonResponse({"ok": True, "message": message}))


@require_http_methods(["GET"])
def lead_form_token(request, slug):
    """A fresh fill-time stamp for the embeddable snippet on another site (CORS: any origin may read it)."""
    form = get_or_404(get_active_form, slug=slug)
    response = JsonResponse({"token": form_token(form), "field": TOKEN_FIELD})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


MAX_CALL_BODY = 64 * 1024


@csrf_exempt
@require_http_methods(["POST"])
def telephony_webhook(request, token):
    """``POST /integrations/telephony/<token>/``: one call event as JSON (docs/integrations.md, Telephony).

    A wrong or unset token is a 404 (nothing tells a prober the route exists); every answer is JSON.
    """
    if not token_matches(token):
        return problem(NotFound(_("Not found.")))
    if len(request.body) > MAX_CALL_BODY:
        return problem(DomainError(_("The request is too large."), code="too_large"))
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return problem(DomainError(_("The body is not JSON."), code="bad_json"))
    try:
        call, created = log_call(payload=payload)
    except DomainError as exc:
        return problem(exc)
    return JsonResponse({"id": call.pk, "event_id": call.event_id, "duplicate": not created,
                         "client": call.client_id, "deal": call.deal_id, "new_lead": call.new_lead},
                        status=201 if created else 200)


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request, token):
    """``GET /calendar/<token>.ics``: the user's open tasks (no sign-in: the address is the secret)."""
    user = get_or_404(feed_owner, token=token)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        tasks = feed_tasks(user=user)

        def link(task) -> str:
            if task.deal_id:
                return request.build_absolute_uri(reverse("deals:detail", args=[task.deal_id]))
            return request.build_absolute_uri(reverse("clients:detail", args=[task.client_id]))

        body = build_feed(user=user, tasks=tasks, link=link, host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="voronka-tasks.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
