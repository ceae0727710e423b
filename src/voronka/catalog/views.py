"""Settings: custom fields of deals and clients, and the dictionaries (thin views over catalog.services)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.catalog.forms import CustomFieldForm, dictionary_form_class
from voronka.catalog.models import FieldEntity
from voronka.catalog.selectors import (
    DICTIONARY_KINDS,
    dictionary_kind,
    get_custom_field,
    get_dictionary_item,
    list_custom_fields,
    list_dictionary_items,
)
from voronka.catalog.services import (
    create_custom_field,
    create_dictionary_item,
    move_dictionary_item,
    reorder_dictionary_items,
    update_custom_field,
    update_dictionary_item,
)
from voronka.core.errors import DomainError
from voronka.core.forms import apply_domain_error
from voronka.core.http import get_or_404
from voronka.web.settings_ui import MoveForm, OrderForm, done, form_response

# --- custom fields ----------------------------------------------------------------------------------------

@require_GET
def field_list(request):
    fields = list(list_custom_fields(actor=request.user))
    groups = [{"entity": value, "title": label, "fields": [f for f in fields if f.entity == value]}
              for value, label in FieldEntity.choices]
    return render(request, "catalog/field_list.html", {"nav": "settings", "section": "fields", "groups": groups})


@require_http_methods(["GET", "POST"])
def field_create(request):
    if request.method == "POST":
        form = CustomFieldForm(request.POST)
        if form.is_valid():
            try:
                definition = create_custom_field(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:fields"),
                            _("Field “%(label)s” added.") % {"label": definition.label})
    else:
        entity = request.GET.get("entity")
        form = CustomFieldForm(initial={"entity": entity if entity in FieldEntity.values else FieldEntity.DEAL,
                                        "is_active": True})
    return form_response(request, form=form, title=_("New custom field"), action=reverse("settings:field_create"),
                         cancel_url=reverse("settings:fields"), section="fields",
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def field_edit(request, pk):
    definition = get_or_404(get_custom_field, actor=request.user, field_id=pk)
    if request.method == "POST":
        form = CustomFieldForm(request.POST, definition=definition)
        if form.is_valid():
            try:
                update_custom_field(actor=request.user, definition=definition, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:fields"),
                            _("Field “%(label)s” saved.") % {"label": definition.label})
    else:
        form = CustomFieldForm(definition=definition)
    return form_response(
        request, form=form, title=_("Field “%(label)s”") % {"label": definition.label},
        action=reverse("settings:field", args=[definition.pk]), cancel_url=reverse("settings:fields"),
        section="fields", extra_template="catalog/_field_facts.html", extra={"definition": definition},
        status=400 if form.is_bound else 200)


# --- dictionaries -----------------------------------------------------------------------------------------

@require_GET
def dictionary_index(request):
    kinds = [{"spec": spec, "count": list_dictionary_items(actor=request.user, kind=spec).count(),
              "active": list_dictionary_items(actor=request.user, kind=spec, active_only=True).count()}
             for spec in DICTIONARY_KINDS.values()]
    return render(request, "catalog/dictionary_index.html",
                  {"nav": "settings", "section": "dictionaries", "kinds": kinds})


def _dictionary_page(request, spec, *, form=None, status=200):
    form_class = dictionary_form_class(spec)
    context = {
        "nav": "settings", "section": "dictionaries", "kind": spec, "kinds": DICTIONARY_KINDS.values(),
        "items": list_dictionary_items(actor=request.user, kind=spec),
        "form": form or form_class(prefix="new"),
    }
    return render(request, "catalog/dictionary_list.html", context, status=status)


@require_http_methods(["GET", "POST"])
def dictionary_list(request, kind):
    """One screen per dictionary: the entries in order (up/down, drag, on/off) and the add form."""
    spec = get_or_404(dictionary_kind, slug=kind)
    if request.method == "GET":
        return _dictionary_page(request, spec)
    form = dictionary_form_class(spec)(request.POST, prefix="new")
    if form.is_valid():
        try:
            item = create_dictionary_item(actor=request.user, kind=spec.slug, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:dictionary", args=[spec.slug]),
                        _("“%(name)s” added.") % {"name": item.name})
    return _dictionary_page(request, spec, form=form, status=400)


@require_http_methods(["GET", "POST"])
def dictionary_item_edit(request, kind, pk):
    spec = get_or_404(dictionary_kind, slug=kind)
    item = get_or_404(get_dictionary_item, actor=request.user, kind=spec, item_id=pk)
    form_class = dictionary_form_class(spec)
    list_url = reverse("settings:dictionary", args=[spec.slug])
    if request.method == "POST":
        form = form_class(request.POST, item=item)
        if form.is_valid():
            try:
                update_dictionary_item(actor=request.user, kind=spec.slug, item=item, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, list_url, _("“%(name)s” saved.") % {"name": item.name})
    else:
        form = form_class(item=item)
    return form_response(request, form=form, title=f"{spec.title}: {item.name}",
                         action=reverse("settings:dictionary_item", args=[spec.slug, item.pk]),
                         cancel_url=list_url, section="dictionaries", status=400 if form.is_bound else 200)


def _back_to_list(request, spec, error: str | None = None):
    """Up/down, on/off and drag answer with the list page; htmx picks the table out of it (``hx-select``)."""
    if error:
        messages.error(request, error)
    return redirect("settings:dictionary", kind=spec.slug)


@require_POST
def dictionary_item_move(request, kind, pk):
    spec = get_or_404(dictionary_kind, slug=kind)
    item = get_or_404(get_dictionary_item, actor=request.user, kind=spec, item_id=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _back_to_list(request, spec, _("Choose up or down."))
    try:
        move_dictionary_item(actor=request.user, kind=spec.slug, item=item, direction=form.cleaned_data["direction"])
    except DomainError as exc:
        return _back_to_list(request, spec, exc.message)
    return _back_to_list(request, spec)


@require_POST
def dictionary_item_toggle(request, kind, pk):
    spec = get_or_404(dictionary_kind, slug=kind)
    item = get_or_404(get_dictionary_item, actor=request.user, kind=spec, item_id=pk)
    try:
        update_dictionary_item(actor=request.user, kind=spec.slug, item=item, is_active=not item.is_active)
    except DomainError as exc:
        return _back_to_list(request, spec, exc.message)
    return _back_to_list(request, spec)


@require_POST
def dictionary_reorder(request, kind):
    spec = get_or_404(dictionary_kind, slug=kind)
    form = OrderForm(request.POST)
    if not form.is_valid():
        return _back_to_list(request, spec, _("The new order could not be read; try again."))
    try:
        reorder_dictionary_items(actor=request.user, kind=spec.slug, item_ids=form.cleaned_data["order"])
    except DomainError as exc:
        return _back_to_list(request, spec, exc.message)
    return _back_to_list(request, spec)
