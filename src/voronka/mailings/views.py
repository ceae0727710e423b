"""Views of mailings: Settings (templates, sequences, statistics), the send dialog of deals and clients,
manual enrolment and stop on the client page, and the public links of every email (tracked, unsubscribe)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.clients.selectors import get_client
from voronka.core.errors import DomainError, NotFound
from voronka.core.forms import apply_domain_error
from voronka.core.htmx import dialog_or_page
from voronka.core.http import get_or_404
from voronka.deals.selectors import get_deal
from voronka.mailings import selectors, services
from voronka.mailings.forms import (
    EnrolForm,
    RenewalRuleForm,
    SendForm,
    SequenceForm,
    StepForm,
    TemplateForm,
    UpsellRuleForm,
)
from voronka.mailings.models import SequenceKind
from voronka.web.settings_ui import done, form_response

# --- settings ----------------------------------------------------------------------------------------------


@require_GET
def template_list(request):
    return render(request, "mailings/template_list.html", {
        "nav": "settings", "section": "mailings", "templates": selectors.list_templates(actor=request.user)})


@require_http_methods(["GET", "POST"])
def template_create(request):
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.create_template(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:mail_templates"),
                        _("Template “%(name)s” added.") % {"name": template.name})
    return form_response(request, form=form, title=_("New email template"),
                         action=reverse("settings:mail_template_create"), cancel_url=reverse("settings:mail_templates"),
                         section="mailings", status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def template_edit(request, pk):
    template = get_or_404(selectors.get_template, actor=request.user, template_id=pk)
    form = TemplateForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_template(actor=request.user, template=template, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:mail_templates"),
                        _("Template “%(name)s” saved.") % {"name": template.name})
    return form_response(request, form=form, title=_("Email template “%(name)s”") % {"name": template.name},
                         action=reverse("settings:mail_template", args=[template.pk]),
                         cancel_url=reverse("settings:mail_templates"), section="mailings",
                         status=400 if form.is_bound else 200)


@require_GET
def sequence_list(request):
    sequences = list(selectors.list_sequences(actor=request.user))
    stats = selectors.sequence_stats(actor=request.user, sequences=sequences)
    empty = {"enrolled": 0, "sent": 0, "clicked": 0, "returned": 0, "won": 0, "revenue": 0}
    rows = [(s, stats.get(s.pk, empty)) for s in sequences]
    return render(request, "mailings/sequence_list.html", {"nav": "settings", "section": "sequences", "rows": rows})


@require_http_methods(["GET", "POST"])
def sequence_create(request):
    form = SequenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sequence = services.create_sequence(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:sequence", args=[sequence.pk]),
                        _("Sequence “%(name)s” added.") % {"name": sequence.name})
    return form_response(request, form=form, title=_("New sequence"), action=reverse("settings:sequence_create"),
                         cancel_url=reverse("settings:sequences"), section="sequences",
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def sequence_edit(request, pk):
    sequence = get_or_404(selectors.get_sequence, actor=request.user, sequence_id=pk)
    form = SequenceForm(request.POST or None, sequence=sequence)
    url = reverse("settings:sequence", args=[sequence.pk])
    if request.method == "POST" and form.is_valid():
        try:
            services.update_sequence(actor=request.user, sequence=sequence, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, url, _("Sequence “%(name)s” saved.") % {"name": sequence.name})
    return form_response(request, form=form, title=_("Sequence “%(name)s”") % {"name": sequence.name},
                         action=reverse("settings:sequence_edit", args=[sequence.pk]), cancel_url=url,
                         section="sequences", status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def sequence_detail(request, pk):
    sequence = get_or_404(selectors.get_sequence, actor=request.user, sequence_id=pk)
    form = StepForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_step(actor=request.user, sequence=sequence, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:sequence", args=[sequence.pk]), _("Step added."))
        status = 400
    stats = selectors.sequence_stats(actor=request.user, sequences=[sequence]).get(sequence.pk, {})
    return render(request, "mailings/sequence_detail.html", {
        "nav": "settings", "section": "sequences", "sequence": sequence, "form": form, "stats": stats,
        "steps": sequence.steps.select_related("template").order_by("position"),
        "lost_reasons": sequence.lost_reasons.all()}, status=status)


@require_POST
def sequence_step_delete(request, pk):
    step = get_or_404(selectors.get_step, actor=request.user, step_id=pk)
    sequence_id = step.sequence_id
    services.remove_step(actor=request.user, step=step)
    return done(request, reverse("settings:sequence", args=[sequence_id]), _("Step removed."))


# --- sending from a deal or a client -------------------------------------------------------------------------

def _send_dialog(request, *, deal=None, client=None, action: str):
    services.require_sender(request.user)
    form = SendForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        template = form.cleaned_data["template"]
        try:
            if request.POST.get("send") == "1":
                services.send_template_email(actor=request.user, template=template, deal=deal, client=client)
                target = (reverse("deals:detail", args=[deal.pk]) if deal is not None
                          else reverse("clients:detail", args=[client.pk]))
                return done(request, target, _("The email is on its way."))
            preview = services.preview_email(actor=request.user, template=template, deal=deal, client=client)
        except DomainError as exc:
            apply_domain_error(form, exc)
    context = {"form": form, "preview": preview, "action": action, "deal": deal,
               "client": client if client is not None else deal.client, "nav": "deals" if deal else "clients"}
    return dialog_or_page(request, "mailings/_send_dialog.html", "mailings/send_page.html", context,
                          status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def deal_send(request, deal_id):
    deal = get_or_404(get_deal, actor=request.user, deal_id=deal_id)
    return _send_dialog(request, deal=deal, action=reverse("mailings:deal_send", args=[deal.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def client_send(request, client_id):
    client = get_or_404(get_client, actor=request.user, client_id=client_id)
    return _send_dialog(request, client=client, action=reverse("mailings:client_send", args=[client.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def client_sequences(request, client_id):
    """The client's active sequences with a stop button, and an enrolment into an active sequence."""
    client = get_or_404(get_client, actor=request.user, client_id=client_id)
    services.require_sender(request.user)
    sequences = [s for s in selectors.list_sequences(actor=request.user) if s.is_active]
    form = EnrolForm(request.POST or None, sequences=sequences)
    if request.method == "POST":
        try:
            if request.POST.get("stop") == "1":
                services.stop_client_sequences(actor=request.user, client=client)
                return done(request, reverse("clients:detail", args=[client.pk]), _("Sequences stopped."))
            if form.is_valid():
                sequence = next(s for s in sequences if str(s.pk) == form.cleaned_data["sequence"])
                made = services.enrol_clients(actor=request.user, sequence=sequence, clients=[client])
                message = (_("Enrolled in “%(name)s”.") if made else
                           _("Not enrolled in “%(name)s”: already on it, unsubscribed, or no email address."))
                return done(request, reverse("clients:detail", args=[client.pk]), message % {"name": sequence.name})
        except DomainError as exc:
            apply_domain_error(form, exc)
    context = {"form": form, "client": client, "active": list(selectors.active_enrolments_of(client=client)),
               "kinds": SequenceKind, "nav": "clients"}
    return dialog_or_page(request, "mailings/_sequences_dialog.html", "mailings/send_page.html", context,
                          status=400 if form.errors else 200)


# --- public links ---------------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def track(request, token):
    """The tracked link of an email, no sign-in. GET shows a small page with a button and counts nothing
    (mail scanners and link previews open links); the POST of that button is the click: it is recorded and,
    for a sequence email, brings the client back (once, however often it is pressed)."""
    try:
        if request.method == "POST":
            services.record_click(token=token)
            return render(request, "mailings/public.html", {"title": _("Thank you!"),
                                                            "text": _("Your manager will contact you shortly.")})
        services.check_token(token=token)
    except NotFound:
        raise Http404 from None
    return render(request, "mailings/public.html", {
        "title": _("Shall we get in touch?"), "text": _("Press the button and your manager will contact you."),
        "confirm": True, "button": _("Contact me"), "testid": "track-confirm"})


@csrf_exempt  # the token in the URL is the secret; mail clients send the one-click POST (RFC 8058) without a form
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks to confirm (link scanners must not unsubscribe anybody), POST unsubscribes."""
    try:
        if request.method == "POST":
            services.unsubscribe(token=token)
            return render(request, "mailings/public.html", {"title": _("You are unsubscribed"),
                                                            "text": _("We will send you no more automatic emails.")})
        services.check_token(token=token)
    except NotFound:
        raise Http404 from None
    return render(request, "mailings/public.html", {"title": _("Unsubscribe"), "confirm": True,
                                                    "text": _("Stop receiving our automatic emails?")})




@require_http_methods(["GET", "POST"])
def follow_up_rules(request):
    """Renewal and upsell rules: the list and the two forms that add (or change) one."""
    renewal = RenewalRuleForm(request.POST if request.POST.get("kind") == "renewal" else None, prefix="renewal")
    upsell = UpsellRuleForm(request.POST if request.POST.get("kind") == "upsell" else None, prefix="upsell")
    status = 200
    if request.method == "POST":
        form, save = ((renewal, services.save_renewal_rule) if request.POST.get("kind") == "renewal"
                      else (upsell, services.save_upsell_rule))
        if form.is_bound and form.is_valid():
            try:
                save(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:follow_up_rules"), _("Rule saved."))
        status = 400
    return render(request, "mailings/follow_up_rules.html", {
        "nav": "settings", "section": "follow_ups", "renewal_form": renewal, "upsell_form": upsell,
        "renewal_rules": selectors.list_renewal_rules(actor=request.user),
        "upsell_rules": selectors.list_upsell_rules(actor=request.user)}, status=status)
