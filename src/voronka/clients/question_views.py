"""Settings › Qualification questions: question sets and their questions (thin views over clients.services).

Administrators only (``web.settings_urls`` wraps every view). Questions are switched off, never deleted,
so the answers clients gave keep their question.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.clients.forms import QuestionForm, QuestionSetForm
from voronka.clients.selectors import get_question, get_question_set, list_question_sets, list_questions
from voronka.clients.services import (
    add_question,
    create_question_set,
    move_question,
    reorder_questions,
    update_question,
    update_question_set,
)
from voronka.core.errors import DomainError
from voronka.web.settings_ui import MoveForm, OrderForm, add_domain_error, done, form_response, or_404


@require_http_methods(["GET", "POST"])
def question_set_list(request):
    """Every question set with its question counts, and the form that adds a set."""
    form = QuestionSetForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            question_set = create_question_set(actor=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            add_domain_error(form, exc)
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
    question_set = or_404(get_question_set, actor=request.user, set_id=pk)
    if request.method == "GET":
        return _set_page(request, question_set)
    form = QuestionForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            question = add_question(actor=request.user, question_set=question_set, text=form.cleaned_data["text"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return done(request, reverse("settings:question_set", args=[question_set.pk]),
                        _("Question “%(text)s” added.") % {"text": question.text})
    return _set_page(request, question_set, form=form, status=400)


@require_http_methods(["GET", "POST"])
def question_set_edit(request, pk):
    """Rename a set (a dialog over the set's page)."""
    question_set = or_404(get_question_set, actor=request.user, set_id=pk)
    page = reverse("settings:question_set", args=[question_set.pk])
    if request.method == "POST":
        form = QuestionSetForm(request.POST)
        if form.is_valid():
            try:
                update_question_set(actor=request.user, question_set=question_set, name=form.cleaned_data["name"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return done(request, page, _("Question set “%(name)s” saved.") % {"name": question_set.name})
    else:
        form = QuestionSetForm(initial={"name": question_set.name})
    return form_response(request, form=form, title=_("Rename the question set"),
                         action=reverse("settings:question_set_edit", args=[question_set.pk]), cancel_url=page,
                         section="questions", status=400 if form.is_bound else 200)


@require_POST
def question_set_toggle(request, pk):
    question_set = or_404(get_question_set, actor=request.user, set_id=pk)
    try:
        update_question_set(actor=request.user, question_set=question_set, is_active=not question_set.is_active)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("settings:question_sets")


@require_POST
def question_reorder(request, pk):
    question_set = or_404(get_question_set, actor=request.user, set_id=pk)
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
    question = or_404(get_question, actor=request.user, question_id=pk)
    page = reverse("settings:question_set", args=[question.question_set_id])
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if form.is_valid():
            try:
                update_question(actor=request.user, question=question, text=form.cleaned_data["text"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return done(request, page, _("Question saved."))
    else:
        form = QuestionForm(initial={"text": question.text})
    return form_response(request, form=form, title=_("Edit the question"),
                         action=reverse("settings:question", args=[question.pk]), cancel_url=page,
                         section="questions", status=400 if form.is_bound else 200)


@require_POST
def question_move(request, pk):
    question = or_404(get_question, actor=request.user, question_id=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose up or down."))
    else:
        move_question(actor=request.user, question=question, direction=form.cleaned_data["direction"])
    return redirect("settings:question_set", pk=question.question_set_id)


@require_POST
def question_toggle(request, pk):
    question = or_404(get_question, actor=request.user, question_id=pk)
    update_question(actor=request.user, question=question, is_active=not question.is_active)
    return redirect("settings:question_set", pk=question.question_set_id)
