"""Billing pages: the deal's invoices panel, an invoice's page with its plan and payments, the PDF, the
receivables, and the company requisites under Settings. Thin: services write, selectors read."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import DomainError, NotFound
from voronka.core.http import get_or_404
from voronka.deals.selectors import get_deal
from voronka.deals.selectors import visible_deals as _visible_deals
from voronka.web.settings_ui import form_response

from . import selectors, services
from .forms import ActForm, InvoiceForm, PaymentForm, PlanForm, RequisitesForm, ShipmentForm
from .models import ACT_MOVES, SHIPMENT_MOVES, InvoiceStatus
from .pdf import render_act_pdf, render_invoice_pdf, render_shipment_pdf


def _invoice(request, pk: int):
    invoice = get_or_404(selectors.get_invoice, actor=request.user, invoice_id=pk)
    return invoice


def _pdf(content: bytes, filename: str) -> FileResponse:
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type="application/pdf")


def _add_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _fail(request, exc: DomainError, url: str) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    messages.error(request, exc.message)
    return redirect(url)


@login_required
@require_GET
def deal_panel(request, deal_id: int):
    """The invoices panel of the deal page (loaded after the page), with plan vs fact."""
    deal = get_or_404(get_deal, actor=request.user, deal_id=deal_id)
    invoices = selectors.deal_invoices(deal=deal)
    shipments = selectors.deal_shipments(deal=deal)
    acts = selectors.deal_acts(deal=deal)
    return render(request, "billing/_deal_panel.html", {
        "deal": deal, "invoices": invoices, "facts": selectors.plan_fact(invoices).as_rows(),
        "shipments": [(s, SHIPMENT_MOVES.get(s.status, ())) for s in shipments],
        "acts": [(a, ACT_MOVES.get(a.status, ())) for a in acts],
        "to_ship": selectors.left_to_ship(deal=deal, shipments=shipments, acts=acts)})


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request, deal_id: int):
    deal = get_or_404(get_deal, actor=request.user, deal_id=deal_id)
    deal_lines = list(deal.lines.select_related("product").order_by("id"))
    form = InvoiceForm(request.POST or None, deal_lines=deal_lines)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invoice = services.create_invoice(
                actor=request.user, deal=deal, due_date=data["due_date"], comment=data["comment"],
                line_ids=[int(x) for x in data["lines"]] if data["mode"] == "lines" else None,
                share_pct=data["share_pct"] if data["mode"] == "share" else None, issue=not data["draft"])
        except DomainError as exc:
            if exc.field == "lines" and data["mode"] == "lines" and not data["lines"]:
                exc.message = _("Choose at least one line.")
            _add_error(form, exc)
        else:
            messages.success(request, _("Invoice № %(number)s created.") % {"number": invoice.display_number})
            return redirect("billing:invoice", invoice.pk)
    return render(request, "billing/invoice_form.html", {"deal": deal, "form": form, "deal_lines": deal_lines},
                  status=400 if form.errors else 200)


@login_required
@require_GET
def invoice_detail(request, pk: int):
    invoice = _invoice(request, pk)
    invoice = next(i for i in selectors.deal_invoices(deal=invoice.deal) if i.pk == invoice.pk)
    rows, overpaid = selectors.invoice_facts(invoice)
    return render(request, "billing/invoice_detail.html", {
        "invoice": invoice, "deal": invoice.deal, "lines": list(invoice.lines.all()), "rows": rows,
        "overpaid": overpaid, "payments": list(invoice.payments.all()), "today": timezone.localdate(),
        "plan_form": PlanForm(initial={"first_due": invoice.due_date, "every_days": 30}),
        "payment_form": PaymentForm(initial={"paid_on": timezone.localdate()}),
        "can_pay": invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED),
        "recipient": services.recipient_of(invoice)})


@login_required
@require_GET
def invoice_pdf(request, pk: int):
    invoice = _invoice(request, pk)
    language = request.GET.get("lang") if request.GET.get("lang") in ("ru", "en") else "ru"
    name = f"invoice-{invoice.number or 'draft'}-{invoice.year or invoice.pk}.pdf"
    return _pdf(render_invoice_pdf(invoice, language=language), name)


def _action(request, pk: int, write, message: str):
    invoice = _invoice(request, pk)
    url = reverse("billing:invoice", args=[invoice.pk])
    try:
        result = write(invoice)
    except DomainError as exc:
        return _fail(request, exc, url)
    messages.success(request, message)
    return redirect("billing:invoice", getattr(result, "pk", None) or invoice.pk) \
        if getattr(result, "_meta", None) and result._meta.model_name == "invoice" else redirect(url)


@login_required
@require_POST
def invoice_issue(request, pk: int):
    return _action(request, pk, lambda i: services.issue_invoice(actor=request.user, invoice=i), _("Issued."))


@login_required
@require_POST
def invoice_cancel(request, pk: int):
    return _action(request, pk, lambda i: services.cancel_invoice(actor=request.user, invoice=i),
                   _("The invoice is cancelled."))


@login_required
@require_POST
def invoice_reissue(request, pk: int):
    return _action(request, pk, lambda i: services.reissue_invoice(actor=request.user, invoice=i),
                   _("The invoice is cancelled and issued again under a new number."))


@login_required
@require_POST
def invoice_send(request, pk: int):
    language = request.POST.get("lang") if request.POST.get("lang") in ("ru", "en") else "ru"
    return _action(request, pk, lambda i: services.send_invoice(actor=request.user, invoice=i, language=language,
                                                                to=request.POST.get("to", "")[:254]),
                   _("The invoice is sent."))


def _typed_rows(text: str) -> list[dict]:
    rows = []
    for line in text.splitlines():
        parts = line.split(None, 1)
        if parts:
            rows.append({"due_date": parts[0], "amount": parts[1] if len(parts) > 1 else ""})
    return rows


@login_required
@require_POST
def invoice_plan(request, pk: int):
    form = PlanForm(request.POST)
    if not form.is_valid():
        invoice = _invoice(request, pk)
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("billing:invoice", invoice.pk)
    data = form.cleaned_data
    if data["rows"].strip():
        write = lambda i: services.set_payment_plan(actor=request.user, invoice=i,  # noqa: E731
                                                    rows=_typed_rows(data["rows"]))
    else:
        write = lambda i: services.set_payment_plan(  # noqa: E731
            actor=request.user, invoice=i, instalments=data["instalments"] or 1, first_due=data["first_due"],
            every_days=data["every_days"] or 30)
    return _action(request, pk, write, _("The payment plan is saved."))


@login_required
@require_POST
def payment_add(request, pk: int):
    form = PaymentForm(request.POST)
    if not form.is_valid():
        invoice = _invoice(request, pk)
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("billing:invoice", invoice.pk)
    data = form.cleaned_data
    return _action(request, pk, lambda i: services.record_payment(
        actor=request.user, invoice=i, amount=data["amount"], paid_on=data["paid_on"], method=data["method"],
        reference=data["reference"], plan_row=data["plan_row"]), _("The payment is recorded."))


@login_required
@require_GET
def receivables(request):
    rows, totals = selectors.receivables(actor=request.user)
    return render(request, "billing/receivables.html", {
        "rows": rows, "totals": totals, "buckets": selectors.BUCKETS, "today": timezone.localdate(),
        "by_client": selectors.plan_fact_by(actor=request.user, by="client"),
        "by_manager": selectors.plan_fact_by(actor=request.user, by="manager")})


def requisites_settings(request):
    """Settings › Company requisites (administrators: the settings URLs check it)."""
    current = selectors.get_requisites()
    initial = {f: getattr(current, f) for f in RequisitesForm.FIELDS}
    form = RequisitesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_requisites(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The company requisites are saved."))
            return redirect("settings:billing_requisites")
    return form_response(request, form=form, title=_("Company requisites"),
                         action=reverse("settings:billing_requisites"), cancel_url=reverse("settings:index"),
                         section="billing", extra_template="billing/_requisites_images_link.html",
                         status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def requisites_images(request):
    """Settings › Company requisites › Logo, stamp and signature (administrators: the settings URLs check it)."""
    from . import images
    from .forms import RequisitesImagesForm

    form = RequisitesImagesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            images.update_requisites_images(
                actor=request.user, uploads={k: form.cleaned_data.get(k) for k in images.KINDS},
                remove={k for k in images.KINDS if form.cleaned_data.get(f"remove_{k}")})
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The images are saved."))
            return redirect("settings:billing_images")
    current = selectors.get_requisites()
    shown = [(kind, form[kind], form[f"remove_{kind}"], getattr(current, kind)) for kind in images.KINDS]
    return render(request, "billing/requisites_images.html", {
        "form": form, "shown": shown, "nav": "settings", "section": "billing",
        "max_kb": images.MAX_BYTES // 1024, "max_side": images.MAX_SIDE}, status=400 if form.errors else 200)


@require_GET
def requisites_image(request, kind: str):
    """The stored logo, stamp or signature (for the settings page; the PDFs read the file directly)."""
    from . import images

    if kind not in images.KINDS:
        raise Http404(kind)
    path = images.image_path(getattr(selectors.get_requisites(), kind))
    if path is None:
        raise Http404(kind)
    content_type = "image/png" if path.suffix == ".png" else "image/jpeg"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def shipment_create(request, deal_id: int):
    deal = get_or_404(get_deal, actor=request.user, deal_id=deal_id)
    form = ShipmentForm(request.POST or None, to_ship=selectors.left_to_ship(deal=deal))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            quantities = form.quantities()
            services.create_shipment(actor=request.user, deal=deal, number=data["number"],
                                     shipped_on=data["shipped_on"], status=data["status"], comment=data["comment"],
                                     lines={str(k): v for k, v in quantities.items()} or {"0": None})
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The shipment is recorded."))
            return redirect("deals:detail", deal.pk)
    return render(request, "billing/shipment_form.html", {"deal": deal, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def shipment_status(request, pk: int):
    shipment = get_or_404(selectors.get_shipment, actor=request.user, shipment_id=pk)
    try:
        services.set_shipment_status(actor=request.user, shipment=shipment, status=request.POST.get("status", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("deals:detail", shipment.deal_id)


@login_required
@require_GET
def shipment_pdf(request, pk: int):
    shipment = get_or_404(selectors.get_shipment, actor=request.user, shipment_id=pk)
    language = request.GET.get("lang") if request.GET.get("lang") in ("ru", "en") else "ru"
    return _pdf(render_shipment_pdf(shipment, language=language), f"waybill-{shipment.pk}.pdf")


# --- service acts -------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def act_create(request, deal_id: int):
    deal = get_or_404(get_deal, actor=request.user, deal_id=deal_id)
    form = ActForm(request.POST or None, to_deliver=selectors.left_to_ship(deal=deal))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            quantities = form.quantities()
            services.create_act(actor=request.user, deal=deal, act_date=data["act_date"], comment=data["comment"],
                                issue=not data["draft"],
                                lines=({str(k): v for k, v in quantities.items()} or {"0": None})
                                if form.product_keys else None)
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The service act is recorded."))
            return redirect("deals:detail", deal.pk)
    return render(request, "billing/act_form.html", {"deal": deal, "form": form},
                  status=400 if form.errors else 200)


ACT_ACTIONS = {"issue": services.issue_act, "sign": services.sign_act, "cancel": services.cancel_act}


@login_required
@require_POST
def act_action(request, pk: int, action: str):
    act = get_or_404(selectors.get_act, actor=request.user, act_id=pk)
    if action not in ACT_ACTIONS:
        raise Http404(action)
    try:
        ACT_ACTIONS[action](actor=request.user, act=act)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("deals:detail", act.deal_id)


@login_required
@require_GET
def act_pdf(request, pk: int):
    act = get_or_404(selectors.get_act, actor=request.user, act_id=pk)
    if act.number is None:
        raise Http404(_("Issue the act first: a draft has no PDF."))
    language = request.GET.get("lang") if request.GET.get("lang") in ("ru", "en") else "ru"
    return _pdf(render_act_pdf(act, language=language), f"act-{act.number}-{act.year}.pdf")


# --- after-sales surveys ------------------------------------------------------------------------------------

def survey_answer(request, token: str):
    """The public page of a survey link: score 0–10 and a comment, answered once, in the client's language."""
    from . import surveys

    try:
        survey = surveys.survey_by_token(token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    with translation.override(surveys.language_of(survey)):
        error = None
        if request.method == "POST":
            try:
                surveys.answer_survey(token=token, score=request.POST.get("score"),
                                      comment=request.POST.get("comment", "")[:5000])
            except DomainError as exc:
                error = exc.message
            else:
                return render(request, "billing/survey_public.html", {"survey": survey, "done": True})
        elif request.method != "GET":
            return HttpResponse(status=405)
        return render(request, "billing/survey_public.html", {
            "survey": survey, "done": survey.answered_at is not None, "error": error, "scores": range(11)},
            status=400 if error else 200)


@login_required
@require_GET
def survey_list(request):
    from . import surveys
    from .models import Survey

    rows = list(Survey.objects.filter(deal__in=_visible_deals(actor=request.user), answered_at__isnull=False)
                .select_related("deal", "deal__client", "deal__owner").order_by("-answered_at")[:200])
    return render(request, "billing/surveys.html", {"rows": rows, "nps": surveys.nps(actor=request.user)})


def survey_settings(request):
    """Settings › After-sales surveys: days after won per pipeline (administrators)."""
    from voronka.pipelines.models import Pipeline

    from . import surveys
    from .models import SurveySetting

    pipelines = list(Pipeline.objects.order_by("sort_order", "name"))
    current = dict(SurveySetting.objects.values_list("pipeline_id", "days_after_won"))
    errors = {}
    if request.method == "POST":
        for pipeline in pipelines:
            try:
                surveys.set_survey_days(actor=request.user, pipeline=pipeline,
                                        days=request.POST.get(f"days_{pipeline.pk}", ""))
            except DomainError as exc:
                errors[pipeline.pk] = exc.message
        if not errors:
            messages.success(request, _("The survey settings are saved."))
            return redirect("settings:billing_surveys")
        current = {p.pk: request.POST.get(f"days_{p.pk}", "") for p in pipelines}
    rows = [(p, current.get(p.pk, ""), errors.get(p.pk)) for p in pipelines]
    return render(request, "billing/survey_settings.html", {"rows": rows, "nav": "settings", "section": "surveys"},
                  status=400 if errors else 200)


def rules_settings(request):
    """Settings › Billing rules: stages that require the invoice paid, the stage a full payment moves to."""
    from voronka.pipelines.models import Pipeline, Stage

    from . import stage_rules
    from .models import PaidMove, StageBillingRule

    pipelines = list(Pipeline.objects.order_by("sort_order", "name"))
    stages: dict[int, list] = {}
    for stage in Stage.objects.filter(is_archived=False).order_by("position", "id"):
        stages.setdefault(stage.pipeline_id, []).append(stage)
    required = set(StageBillingRule.objects.filter(requires_paid_invoice=True).values_list("stage_id", flat=True))
    moves = {k: str(v) for k, v in PaidMove.objects.values_list("pipeline_id", "stage_id")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        for pipeline in pipelines:
            for stage in stages.get(pipeline.pk, []):
                try:
                    stage_rules.set_stage_rule(actor=request.user, stage=stage,
                                               requires_paid_invoice=request.POST.get(f"paid_{stage.pk}", ""))
                except DomainError as exc:
                    errors[exc.field or f"paid_{stage.pk}"] = exc.message
            try:
                stage_rules.set_paid_move(actor=request.user, pipeline=pipeline,
                                          stage=request.POST.get(f"move_{pipeline.pk}", ""))
            except DomainError as exc:
                errors[exc.field or f"move_{pipeline.pk}"] = exc.message
        if not errors:
            messages.success(request, _("The billing rules are saved."))
            return redirect("settings:billing_rules")
        required = {s.pk for ss in stages.values() for s in ss if request.POST.get(f"paid_{s.pk}")}
        moves = {p.pk: request.POST.get(f"move_{p.pk}", "") for p in pipelines}
    rows = [{"pipeline": p, "move": moves.get(p.pk, ""), "move_error": errors.get(f"move_{p.pk}"),
             "stages": [(s, s.pk in required, errors.get(f"paid_{s.pk}")) for s in stages.get(p.pk, [])]}
            for p in pipelines]
    return render(request, "billing/rules_settings.html", {"rows": rows, "nav": "settings", "section": "billing_rules"},
                  status=400 if errors else 200)


STATEMENT_MAX_BYTES = 2 * 1024 * 1024


def _statement_table(content: bytes):
    """Header and rows of an uploaded statement, read by the imports' reader (encoding, delimiter)."""
    import tempfile
    from pathlib import Path

    from voronka.imports.readers import open_table

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "statement.csv"
        path.write_bytes(content)
        table = open_table(path)
        return table.header, list(table.rows)


@login_required
def statement_import(request):
    """Payments from a CSV bank statement: upload → preview (nothing written) → import (all or nothing)."""
    import base64
    import binascii

    from . import statements

    context: dict = {"error": None, "statement": None, "content": ""}
    if request.method == "POST":
        try:
            if request.POST.get("apply"):
                try:
                    content = base64.b64decode(request.POST.get("content", ""), validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise DomainError(_("Upload the statement again."), field="file") from exc
            else:
                upload = request.FILES.get("file")
                if upload is None:
                    raise DomainError(_("Choose the statement file (CSV)."), field="file")
                if upload.size > STATEMENT_MAX_BYTES:
                    raise DomainError(_("The file is too large (at most 2 MB)."), field="file")
                content = upload.read()
            if len(content) > STATEMENT_MAX_BYTES:
                raise DomainError(_("The file is too large (at most 2 MB)."), field="file")
            header, rows = _statement_table(content)
            if request.POST.get("apply"):
                done = statements.import_statement(actor=request.user, header=header, rows=rows)
                messages.success(request, ngettext("%(n)s payment recorded from the statement.",
                                                   "%(n)s payments recorded from the statement.",
                                                   len(done.matched)) % {"n": len(done.matched)})
                return redirect("billing:receivables")
            context["statement"] = statements.read_statement(actor=request.user, header=header, rows=rows)
            context["content"] = base64.b64encode(content).decode()
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "billing/statement_import.html", context, status=400 if context["error"] else 200)


@login_required
@require_GET
def shipments_overdue(request):
    """Control list: shipments that should have gone out or arrived by now."""
    return render(request, "billing/shipments_overdue.html", {
        "rows": selectors.overdue_shipments(actor=request.user), "delivery_days": selectors.DELIVERY_DAYS})
