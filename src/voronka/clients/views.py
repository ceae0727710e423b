"""Client screens: the list (and refusal list), the client card with its actions, the quick-add lead form.

Views are thin: a form parses the input, one service or selector does the work, domain errors become
form errors. Hidden clients are 404 everywhere.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.accounts.models import Scope
from voronka.accounts.selectors import assignable_users
from voronka.clients.forms import (
    ClientFilterForm,
    ClientForm,
    ContactForm,
    QualificationForm,
    QuestionForm,
    QuestionSetForm,
    QuickAddForm,
    RefuseForm,
)
from voronka.clients.models import Client, ClientStatus
from voronka.clients.normalize import normalize_email, normalize_inn, normalize_phone
from voronka.clients.selectors import (
    CLIENT_PAGE,
    ClientFilter,
    client_card,
    client_deals,
    client_history,
    client_tasks,
    find_duplicates,
    get_client,
    get_question,
    get_question_set,
    list_clients,
    list_contacts,
    list_question_sets,
    list_questions,
    qualification_sheet,
    visible_client_ids,
)
from voronka.clients.services import (
    DuplicateClient,
    add_contact,
    add_question,
    answer_questions,
    create_question_set,
    disclose_matches,
    move_question,
    reorder_questions,
    set_client_archived,
    update_client,
    update_question,
    update_question_set,
)
from voronka.core.errors import DomainError, MissingFields, NotFound
from voronka.core.forms import apply_domain_error
from voronka.core.htmx import dialog_or_page, hx_redirect
from voronka.core.http import get_or_404
from voronka.core.params import parse_id
from voronka.deals.leads import create_lead
from voronka.deals.services import refuse_client_with_deals
from voronka.pipelines.selectors import first_stage_required, list_pipelines
from voronka.web.settings_ui import MoveForm, OrderForm, done, form_response


def _client_or_404(request, client_id: int) -> Client:
    return get_or_404(get_client, actor=request.user, client_id=client_id)


def _client_url(client) -> str:
    return reverse("clients:detail", args=[client.pk])


def _deal_url(deal) -> str:
    return reverse("deals:detail", args=[deal.pk])


# --- the list -----------------------------------------------------------------------------------------------

@login_required
def client_list(request):
    filters = ClientFilter.from_params(request.GET)
    order = request.GET.get("order", "")
    page = Paginator(list_clients(actor=request.user, filters=filters, order=order), CLIENT_PAGE).get_page(
        request.GET.get("page"))
    users = assignable_users(actor=request.user) if request.user.scope != Scope.OWN else []
    query = filters.as_query()
    context = {
        "nav": "clients",
        "page": page,
        "clients": page.object_list,
        "filters": filters,
        "filter_form": ClientFilterForm(initial=query, users=users),
        "show_responsible_filter": request.user.scope != Scope.OWN,
        "refusal_view": filters.status == ClientStatus.REFUSED,
        "query": urlencode(query),
        "order_query": urlencode({**query, **({"order": order} if order else {})}),
        "order": order,
        "any_filter": bool(query),
    }
    return render(request, "clients/list.html", context)


# --- the card -----------------------------------------------------------------------------------------------

def _card_context(request, client: Client, **forms) -> dict:
    card = client_card(actor=request.user, client=client)
    return {
        "nav": "clients",
        "client": client,
        "card": card,
        "deals": card.deals,
        "open_tasks": card.open_tasks,
        "closed_tasks": card.closed_tasks,
        "contacts": card.contacts,
        "timeline": client_history(actor=request.user, client=client),
        "can_change": not request.user.is_read_only,
        "today": timezone.localdate(),
        "contact_form": forms.get("contact_form") or ContactForm(),
        "qualification_form": forms.get("qualification_form") or QualificationForm(sheet=card.sheet),
    }


# Sections of the card that reload themselves after a task or timeline change elsewhere (HX-Trigger).
CARD_PARTS = {"tasks": "clients/_tasks.html", "deals": "clients/_deals.html", "timeline": "clients/_timeline.html"}


def _card_part(request, client: Client, part: str):
    context = {"client": client, "can_change": not request.user.is_read_only, "today": timezone.localdate()}
    if part == "tasks":
        context["open_tasks"], context["closed_tasks"] = client_tasks(actor=request.user, client=client)
    elif part == "deals":
        context["deals"] = client_deals(actor=request.user, client=client)
    else:
        context["timeline"] = client_history(actor=request.user, client=client)
    return render(request, CARD_PARTS[part], context)


@login_required
def client_detail(request, client_id: int):
    client = _client_or_404(request, client_id)
    part = request.GET.get("part", "")
    if request.htmx and part in CARD_PARTS:
        return _card_part(request, client, part)
    return render(request, "clients/detail.html", _card_context(request, client))


def _partial_or_card(request, client, template: str, context: dict, *, ok: bool, form_key: str, form):
    """htmx: the section partial (200 even with errors, so htmx swaps it). Otherwise the card or a redirect."""
    if request.htmx:
        return render(request, template, {"client": client, "can_change": True, **context})
    if ok:
        return redirect(_client_url(client))
    return render(request, "clients/detail.html", _card_context(request, client, **{form_key: form}), status=400)


@login_required
@require_POST
def contact_add(request, client_id: int):
    client = _client_or_404(request, client_id)
    form = ContactForm(request.POST)
    ok = False
    if form.is_valid():
        d = form.cleaned_data
        try:
            add_contact(actor=request.user, client=client, name=d["contact_name"], phone=d["contact_phone"],
                        email=d["contact_email"], position=d["contact_position"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            ok = True
            if not request.htmx:
                messages.success(request, _("Contact “%(name)s” added.") % {"name": d["contact_name"]})
            form = ContactForm()
    context = {"contacts": list_contacts(client=client), "contact_form": form, "saved": ok}
    return _partial_or_card(request, client, "clients/_contacts.html", context, ok=ok, form_key="contact_form",
                            form=form)


@login_required
@require_POST
def qualification_save(request, client_id: int):
    client = _client_or_404(request, client_id)
    form = QualificationForm(request.POST, sheet=qualification_sheet(client=client))
    ok = False
    if form.is_valid():
        try:
            answer_questions(actor=request.user, client=client, answers=form.answers())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            ok = True
            form = QualificationForm(sheet=qualification_sheet(client=client))
    if ok and not request.htmx:
        messages.success(request, _("Qualification answers saved."))
    context = {"qualification_form": form, "saved": ok}
    return _partial_or_card(request, client, "clients/_qualification.html", context, ok=ok,
                            form_key="qualification_form", form=form)


def _dialog_or_page(request, client, template: str, form, *, status: int = 200, **extra):
    """A ``<dialog>`` fragment for htmx, the same form on a page otherwise."""
    return dialog_or_page(request, template, "clients/form_page.html",
                          {"nav": "clients", "client": client, "form": form, **extra}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request, client_id: int):
    client = _client_or_404(request, client_id)
    users = assignable_users(actor=request.user)
    if request.method == "GET":
        return _dialog_or_page(request, client, "clients/_edit_dialog.html", ClientForm(users=users, client=client))
    form = ClientForm(request.POST, users=users, client=client)
    if form.is_valid():
        try:
            update_client(actor=request.user, client=client, expected_version=form.cleaned_data.get("version"),
                          **form.changes(client))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Client saved."))
            return hx_redirect(request, _client_url(client))
    return _dialog_or_page(request, client, "clients/_edit_dialog.html", form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def client_refuse(request, client_id: int):
    """The refusal dialog lists the client's open deals and asks whether to lose them or keep them."""
    client = _client_or_404(request, client_id)
    open_deals = [d for d in client_deals(actor=request.user, client=client) if d.status == "open"]
    if request.method == "GET":
        return _dialog_or_page(request, client, "clients/_refuse_dialog.html", RefuseForm(), open_deals=open_deals)
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            refuse_client_with_deals(actor=request.user, client=client, reason=form.cleaned_data["lost_reason"],
                                     comment=form.cleaned_data["comment"],
                                     open_deals=form.cleaned_data["open_deals"] or None)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("“%(name)s” is on the refusal list now.") % {"name": client.name})
            return hx_redirect(request, _client_url(client))
    return _dialog_or_page(request, client, "clients/_refuse_dialog.html", form, status=400, open_deals=open_deals)


# --- quick add lead -----------------------------------------------------------------------------------------

def _visible_existing(request, raw) -> Client | None:
    client_id = parse_id(raw)
    try:
        return get_client(actor=request.user, client_id=client_id) if client_id is not None else None
    except NotFound:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def quick_add(request):
    pipelines = list_pipelines(actor=request.user)
    # A lead or head chooses the responsible manager within his scope; a manager adds leads for himself.
    owners = [] if request.user.scope == Scope.OWN else [
        u for u in assignable_users(actor=request.user) if u.pk != request.user.pk]
    duplicates: list[dict] = []
    existing = None
    status = 200
    if request.method == "GET":
        existing = _visible_existing(request, request.GET.get("client"))
        initial = {k: request.GET[k][:255] for k in ("name", "phone", "email", "inn") if request.GET.get(k)}
        if existing is not None:
            initial.update(existing_client=existing.pk, source=existing.source_id, channel=existing.channel_id,
                           title=existing.name)
        form = QuickAddForm(initial=initial, pipelines=pipelines, owners=owners,
                            stage_required=first_stage_required(pipelines))
    else:
        form = QuickAddForm(request.POST, pipelines=pipelines, owners=owners,
                            stage_required=first_stage_required(pipelines))
        # Resolved even when the form is invalid, so the page stays in "deal for this client" mode.
        existing = _visible_existing(request, request.POST.get("existing_client"))
        if form.is_valid():
            d = form.cleaned_data
            if d.get("existing_client") and existing is None:
                form.add_error(None, _("That client is not available to you: choose “Create anyway” or "
                                       "ask its responsible manager."))
            else:
                try:
                    deal = create_lead(actor=request.user, client=form.client_data(), deal=form.deal_data(),
                                       task=form.task_data(), allow_duplicate=bool(d.get("allow_duplicate")),
                                       existing_client=existing, owner=form.chosen_owner())
                except DuplicateClient as exc:
                    visible = visible_client_ids(actor=request.user, ids=[c.pk for c in exc.duplicates])
                    named, _withheld = disclose_matches(
                        actor=request.user, clients=[c for c in exc.duplicates if c.pk not in visible],
                        via="quick_add")
                    named_ids = {c.pk for c in named}
                    duplicates = [{"client": c, "visible": c.pk in visible, "named": c.pk in named_ids}
                                  for c in exc.duplicates]
                except MissingFields as exc:
                    form.add_error(None, exc.message)
                    for key in exc.fields:
                        name = form.field_for(key)
                        if name and name not in form.errors:
                            form.add_error(name, _("Required for the first stage of this pipeline."))
                except DomainError as exc:
                    apply_domain_error(form, exc, field_for=form.field_for)
                else:
                    messages.success(request, _("Lead “%(title)s” created.") % {"title": deal.title})
                    return redirect(_deal_url(deal))
        status = 200 if duplicates else 400
    context = {
        "nav": "",
        "form": form,
        "existing": existing,
        "duplicates": duplicates,
        "any_visible_duplicate": any(d["visible"] for d in duplicates),
        "allow_duplicate": bool(getattr(form, "cleaned_data", {}).get("allow_duplicate")),
    }
    return render(request, "clients/quick_add.html", context, status=status)


# --- Settings › Qualification questions ------------------------------------------------------------------
# Question sets and their questions, administrators only (``web.settings_urls`` wraps every view). Questions
# are switched off, never deleted, so the answers clients gave keep their question.

@require_http_methods(["GET", "POST"])
def question_set_list(request):
    """Every question set with its question counts, and the form that adds a set."""
    form = QuestionSetForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            question_set = create_question_set(actor=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:question_set", args=[question_set.pk]),
                        _("Question set “%(name)s” added.") % {"name": question_set.name})
    return render(request, "clients/question_set_list.html", {
        "nav": "settings", "section": "questions", "sets": list_question_sets(actor=request.user), "form": form,
    }, status=400 if form.is_bound and form.errors else 200)


def _set_page(request, question_set, *, form=None, status=200):
    return render(request, "clients/question_set_detail.html", {
        "nav": "settings", "section": "questions", "question_set": question_set,
        "questions": list_questions(actor=request.user, question_set=question_set),
        "form": form or QuestionForm(prefix="new"),
    }, status=status)


@require_http_methods(["GET", "POST"])
def question_set_detail(request, pk):
    """One set: its questions in order (up/down, drag, on/off, reword) and the form that adds a question."""
    question_set = get_or_404(get_question_set, actor=request.user, set_id=pk)
    if request.method == "GET":
        return _set_page(request, question_set)
    form = QuestionForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            question = add_question(actor=request.user, question_set=question_set, text=form.cleaned_data["text"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:question_set", args=[question_set.pk]),
                        _("Question “%(text)s” added.") % {"text": question.text})
    return _set_page(request, question_set, form=form, status=400)


@require_http_methods(["GET", "POST"])
def question_set_edit(request, pk):
    """Rename a set (a dialog over the set's page)."""
    question_set = get_or_404(get_question_set, actor=request.user, set_id=pk)
    page = reverse("settings:question_set", args=[question_set.pk])
    if request.method == "POST":
        form = QuestionSetForm(request.POST)
        if form.is_valid():
            try:
                update_question_set(actor=request.user, question_set=question_set, name=form.cleaned_data["name"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, page, _("Question set “%(name)s” saved.") % {"name": question_set.name})
    else:
        form = QuestionSetForm(initial={"name": question_set.name})
    return form_response(request, form=form, title=_("Rename the question set"),
                         action=reverse("settings:question_set_edit", args=[question_set.pk]), cancel_url=page,
                         section="questions", status=400 if form.is_bound else 200)


@require_POST
def question_set_toggle(request, pk):
    question_set = get_or_404(get_question_set, actor=request.user, set_id=pk)
    try:
        update_question_set(actor=request.user, question_set=question_set, is_active=not question_set.is_active)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("settings:question_sets")


@require_POST
def question_reorder(request, pk):
    question_set = get_or_404(get_question_set, actor=request.user, set_id=pk)
    form = OrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The new order could not be read; try again."))
    else:
        try:
            reorder_questions(actor=request.user, question_set=question_set, question_ids=form.cleaned_data["order"])
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("settings:question_set", pk=question_set.pk)


@require_http_methods(["GET", "POST"])
def question_edit(request, pk):
    """Reword a question (a dialog over its set's page)."""
    question = get_or_404(get_question, actor=request.user, question_id=pk)
    page = reverse("settings:question_set", args=[question.question_set_id])
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if form.is_valid():
            try:
                update_question(actor=request.user, question=question, text=form.cleaned_data["text"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, page, _("Question saved."))
    else:
        form = QuestionForm(initial={"text": question.text})
    return form_response(request, form=form, title=_("Edit the question"),
                         action=reverse("settings:question", args=[question.pk]), cancel_url=page,
                         section="questions", status=400 if form.is_bound else 200)


@require_POST
def question_move(request, pk):
    question = get_or_404(get_question, actor=request.user, question_id=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose up or down."))
    else:
        move_question(actor=request.user, question=question, direction=form.cleaned_data["direction"])
    return redirect("settings:question_set", pk=question.question_set_id)


@require_POST
def question_toggle(request, pk):
    question = get_or_404(get_question, actor=request.user, question_id=pk)
    update_question(actor=request.user, question=question, is_active=not question.is_active)
    return redirect("settings:question_set", pk=question.question_set_id)


@login_required
@require_POST
def client_archive(request, client_id: int):
    """Archive a client without open deals (out of lists, search, duplicate check) or restore him."""
    client = get_or_404(get_client, actor=request.user, client_id=client_id)
    archived = request.POST.get("archived") == "1"
    try:
        set_client_archived(actor=request.user, client=client, archived=archived)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Client archived (Clients › Archive).") if archived
                         else _("Client restored from the archive."))
    return redirect("clients:detail", client_id=client.pk)


@login_required
@require_http_methods(["GET"])
def quick_add_check(request):
    """The duplicate check while typing in quick add: clients with the same phone, email or INN (the same
    ``find_duplicates`` as on submit); the actor's own are linked, a colleague's are named (audited and
    rate-limited by ``disclose_matches``). An incomplete or invalid value checks nothing."""
    values = {}
    for field, normalize in (("phone", normalize_phone), ("email", normalize_email), ("inn", normalize_inn)):
        raw = (request.GET.get(field) or "")[:254].strip()
        if raw:
            try:
                values[field] = normalize(raw)
            except (DomainError, ValueError):
                continue
    found = find_duplicates(**values) if values else []
    visible = visible_client_ids(actor=request.user, ids=[c.pk for c in found])
    named, withheld = disclose_matches(actor=request.user, clients=[c for c in found if c.pk not in visible],
                                       via="quick_add")
    named_ids = {c.pk for c in named}
    matches = [{"client": c, "visible": c.pk in visible, "named": c.pk in named_ids} for c in found]
    return render(request, "clients/_live_duplicates.html", {"matches": matches, "withheld": withheld})
