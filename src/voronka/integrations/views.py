"""Settings › Webhooks (subscriptions, their delivery log, replay and test events) and Settings › Web forms
(definitions, the submission log, the snippet), Settings › Mailbox and Settings › Telephony: administrators only (``web.settings_urls`` wraps every view
in ``admin_required``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import DomainError
from voronka.core.forms import apply_domain_error
from voronka.core.http import get_or_404
from voronka.core.params import parse_id
from voronka.integrations.connectors import (
    check_mailbox_connection,
    mailbox_config,
    regenerate_telephony_token,
    save_mailbox_settings,
    save_telephony_settings,
    stored_mailbox,
    stored_telephony,
)
from voronka.integrations.forms import (
    VERB_LABELS,
    DeliveryFilterForm,
    LeadFormForm,
    MailboxSettingsForm,
    TelephonySettingsForm,
    WebhookForm,
)
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.selectors import (
    get_delivery,
    get_lead_form,
    get_lead_form_by_slug,
    get_subscription,
    list_deliveries,
    list_lead_forms,
    list_submissions,
    list_subscriptions,
)
from voronka.integrations.services import (
    create_subscription,
    delete_subscription,
    pause_subscription,
    replay_delivery,
    resume_subscription,
    rotate_secret,
    send_test_event,
    update_subscription,
)
from voronka.web.settings_ui import done, form_response

LOG_PAGE = 50
_SECRET_KEY = "webhook_secret"  # session: the secret to show once on the next page view


def _show_secret_once(request, subscription) -> None:
    request.session[_SECRET_KEY] = {"id": subscription.pk, "secret": subscription.secret}


@require_GET
def webhook_list(request):
    return render(request, "integrations/webhook_list.html", {
        "nav": "settings", "section": "webhooks", "subscriptions": list_subscriptions(actor=request.user),
        "create_url": reverse("settings:webhook_create"), "create_label": _("New webhook")})


@require_http_methods(["GET", "POST"])
def webhook_create(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = create_subscription(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            _show_secret_once(request, subscription)
            return done(request, reverse("settings:webhook", args=[subscription.pk]),
                        _("Webhook “%(name)s” added.") % {"name": subscription.name})
    return form_response(request, form=form, title=_("New webhook"), action=reverse("settings:webhook_create"),
                         cancel_url=reverse("settings:webhooks"), section="webhooks",
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk):
    subscription = get_or_404(get_subscription, actor=request.user, subscription_id=pk)
    form = WebhookForm(request.POST or None, subscription=subscription)
    url = reverse("settings:webhook", args=[subscription.pk])
    if request.method == "POST" and form.is_valid():
        try:
            update_subscription(actor=request.user, subscription=subscription, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, url, _("Webhook “%(name)s” saved.") % {"name": subscription.name})
    return form_response(request, form=form, title=_("Webhook “%(name)s”") % {"name": subscription.name},
                         action=reverse("settings:webhook_edit", args=[subscription.pk]), cancel_url=url,
                         section="webhooks", status=400 if form.is_bound else 200)


@require_GET
def webhook_detail(request, pk):
    subscription = get_or_404(get_subscription, actor=request.user, subscription_id=pk)
    shown = request.session.get(_SECRET_KEY)
    secret = None
    if shown and shown.get("id") == subscription.pk:
        secret = shown.get("secret")
        del request.session[_SECRET_KEY]
    filters = DeliveryFilterForm(request.GET)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    deliveries = list_deliveries(actor=request.user, subscription=subscription, status=status or None)
    before = parse_id(request.GET.get("before", ""))
    if before is not None:
        deliveries = deliveries.filter(pk__lt=before)
    rows = list(deliveries[: LOG_PAGE + 1])
    older = rows[LOG_PAGE - 1].pk if len(rows) > LOG_PAGE else None
    events = [{"verb": v, "label": VERB_LABELS.get(v, _("All events") if v == "*" else v)}
              for v in subscription.event_types]
    return render(request, "integrations/webhook_detail.html", {
        "nav": "settings", "section": "webhooks", "subscription": subscription, "secret": secret,
        "events": events, "deliveries": rows[:LOG_PAGE], "older": older, "filters": filters, "status": status})


def _run(request, pk, service, message: str, *, show_secret: bool = False):
    """A POST button of the subscription page: call ``service``, then back to the page with a message."""
    subscription = get_or_404(get_subscription, actor=request.user, subscription_id=pk)
    url = reverse("settings:webhook", args=[subscription.pk])
    try:
        result = service(actor=request.user, subscription=subscription)
    except DomainError as exc:
        return done(request, url, exc.message, level=messages.ERROR)
    if show_secret:
        _show_secret_once(request, result)
    return done(request, url, message)


@require_POST
def webhook_pause(request, pk):
    return _run(request, pk, pause_subscription, _("Webhook paused: events wait until you resume it."))


@require_POST
def webhook_resume(request, pk):
    return _run(request, pk, resume_subscription, _("Webhook resumed: waiting deliveries are sent now."))


@require_POST
def webhook_rotate(request, pk):
    return _run(request, pk, rotate_secret, _("New secret: the old one no longer signs."), show_secret=True)


@require_POST
def webhook_test(request, pk):
    return _run(request, pk, send_test_event, _("Test event queued: see the delivery log."))


@require_POST
def webhook_delete(request, pk):
    subscription = get_or_404(get_subscription, actor=request.user, subscription_id=pk)
    delete_subscription(actor=request.user, subscription=subscription)
    return done(request, reverse("settings:webhooks"),
                _("Webhook “%(name)s” deleted.") % {"name": subscription.name})


@require_POST
def delivery_replay(request, pk, delivery_pk):
    subscription = get_or_404(get_subscription, actor=request.user, subscription_id=pk)
    delivery = get_or_404(get_delivery, actor=request.user, delivery_id=delivery_pk, subscription=subscription)
    url = reverse("settings:webhook", args=[subscription.pk])
    try:
        replay_delivery(actor=request.user, delivery=delivery)
    except DomainError as exc:
        return done(request, url, exc.message, level=messages.ERROR)
    return done(request, url, _("Delivery #%(id)s queued again.") % {"id": delivery.pk})


# --- web forms ----------------------------------------------------------------------------------------------

def _save_form(request, form: LeadFormForm, *, lead_form=None):
    data = dict(form.cleaned_data)
    if lead_form is not None:
        data["slug"] = lead_form.slug
    return save_lead_form(actor=request.user, **data)


@require_GET
def lead_form_list(request):
    return render(request, "integrations/lead_form_list.html", {
        "nav": "settings", "section": "forms", "lead_forms": list_lead_forms(actor=request.user),
        "create_url": reverse("settings:lead_form_create"), "create_label": _("New web form")})


@require_http_methods(["GET", "POST"])
def lead_form_create(request):
    form = LeadFormForm(request.POST or None, actor=request.user,
                        **({} if request.method == "POST" else {"initial": {"fields": ["name", "phone", "email"],
                                                                            "is_active": True}}))
    if request.method == "POST" and form.is_valid():
        try:
            if get_lead_form_by_slug(form.cleaned_data["slug"]):
                raise DomainError(_("A form with this slug exists already."), field="slug")
            lead_form = _save_form(request, form)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:lead_form", args=[lead_form.pk]),
                        _("Web form “%(title)s” added.") % {"title": lead_form.title})
    return form_response(request, form=form, title=_("New web form"), action=reverse("settings:lead_form_create"),
                         cancel_url=reverse("settings:lead_forms"), section="forms",
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def lead_form_edit(request, pk):
    lead_form = get_or_404(get_lead_form, actor=request.user, form_id=pk)
    form = LeadFormForm(request.POST or None, actor=request.user, lead_form=lead_form)
    url = reverse("settings:lead_form", args=[lead_form.pk])
    if request.method == "POST" and form.is_valid():
        try:
            _save_form(request, form, lead_form=lead_form)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, url, _("Web form “%(title)s” saved.") % {"title": lead_form.title})
    return form_response(request, form=form, title=_("Web form “%(title)s”") % {"title": lead_form.title},
                         action=reverse("settings:lead_form_edit", args=[lead_form.pk]), cancel_url=url,
                         section="forms", status=400 if form.is_bound else 200)


@require_GET
def lead_form_detail(request, pk):
    lead_form = get_or_404(get_lead_form, actor=request.user, form_id=pk)
    page_url = request.build_absolute_uri(reverse("forms:page", args=[lead_form.slug]))
    token_url = request.build_absolute_uri(reverse("forms:token", args=[lead_form.slug]))
    script_url = request.build_absolute_uri(static("integrations/voronka-form.js"))
    return render(request, "integrations/lead_form_detail.html", {
        "nav": "settings", "section": "forms", "lead_form": lead_form, "page_url": page_url, "token_url": token_url,
        "script_url": script_url,
        "submissions": list(list_submissions(actor=request.user, form=lead_form)[:LOG_PAGE])})


# --- Settings › Mailbox and Settings › Telephony -----------------------------------------------------------

@require_http_methods(["GET", "POST"])
def mailbox_settings(request):
    """The mailbox form; its "Test connection" button posts the same form to ``mailbox_test``."""
    row = stored_mailbox()
    form = MailboxSettingsForm(request.POST or None, actor=request.user, row=row)
    url = reverse("settings:mailbox")
    if request.method == "POST" and form.is_valid():
        try:
            save_mailbox_settings(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, url, _("Mailbox settings saved."))
    return _mailbox_page(request, form, row, status=400 if form.is_bound else 200)


def _mailbox_page(request, form, row, *, status: int = 200, tested: str = ""):
    return render(request, "integrations/mailbox_settings.html", {
        "nav": "settings", "section": "mailbox", "form": form, "row": row, "config": mailbox_config(row),
        "password_stored": bool(row and row.password), "tested": tested}, status=status)


@require_POST
def mailbox_test(request):
    row = stored_mailbox()
    form = MailboxSettingsForm(request.POST, actor=request.user, row=row)
    tested = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            tested = check_mailbox_connection(actor=request.user, host=data["host"], port=data["port"],
                                              use_ssl=data["use_ssl"], username=data["username"],
                                              password=data["password"], folder=data["folder"])
        except DomainError as exc:
            apply_domain_error(form, exc)
    return _mailbox_page(request, form, row, status=200 if tested else 400, tested=tested)


@require_http_methods(["GET", "POST"])
def telephony_settings(request):
    row = stored_telephony()
    form = TelephonySettingsForm(request.POST or None, actor=request.user, row=row)
    url = reverse("settings:telephony")
    if request.method == "POST" and form.is_valid():
        try:
            save_telephony_settings(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, url, _("Telephony settings saved."))
    token = row.token if row is not None else ""
    endpoint = request.build_absolute_uri(reverse("integrations:telephony", args=[token or "TOKEN"]))
    return render(request, "integrations/telephony_settings.html", {
        "nav": "settings", "section": "telephony", "form": form, "row": row, "token": token,
        "endpoint": endpoint, "env_tokens": len([t for t in settings.VORONKA_TELEPHONY_TOKENS if t])},
        status=400 if form.is_bound else 200)


@require_POST
def telephony_token(request):
    regenerate_telephony_token(actor=request.user)
    return done(request, reverse("settings:telephony"),
                _("New token: update the webhook address at your telephony provider."))
