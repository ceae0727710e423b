"""Shared plumbing of the settings screens (pipelines, catalog, accounts views): access and form responses."""

from __future__ import annotations

import re
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from voronka.core.htmx import dialog_or_page, hx_redirect
from voronka.core.params import parse_ids


def admin_required(view):
    """Settings are for administrators (role admin or superuser); anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.can_configure:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def done(request, url: str, message: str | None = None, level: int = messages.SUCCESS) -> HttpResponse:
    """After a successful write: a message, then a redirect (``HX-Redirect`` for htmx requests)."""
    if message:
        messages.add_message(request, level, message)
    return hx_redirect(request, url)


def _autofocus(form) -> None:
    """Focus the first field with an error, else the first field (app.js focuses ``[autofocus]`` in dialogs)."""
    names = [name for name, field in form.fields.items() if not field.widget.is_hidden]
    errors = form.errors if form.is_bound else {}
    target = next((name for name in names if name in errors), names[0] if names else None)
    if target:
        form.fields[target].widget.attrs["autofocus"] = True


def form_response(request, *, form, title: str, action: str, cancel_url: str, section: str,
                  submit_label: str | None = None, extra_template: str | None = None, extra: dict | None = None,
                  status: int = 200) -> HttpResponse:
    """A settings form: a ``<dialog>`` fragment for htmx (into ``#modal-root``), else a full page.

    htmx skips the swap of 4xx answers, so a dialog with errors comes back with 200.
    """
    context = {"form": form, "title": title, "action": action, "cancel_url": cancel_url, "nav": "settings",
               "section": section, "submit_label": submit_label, "extra_template": extra_template,
               **(extra or {})}
    _autofocus(form)
    return dialog_or_page(request, "pipelines/_settings_dialog.html", "pipelines/settings_form.html", context,
                          status=status)


class OrderForm(forms.Form):
    """A new order of ids, comma separated ("4,1,2,3"), as drag and drop sends it."""

    order = forms.CharField(max_length=10_000)

    def clean_order(self) -> list[int]:
        parts = [p for p in re.split(r"[\s,]+", self.cleaned_data["order"]) if p]
        ids = parse_ids(parts, limit=1000) if parts else None
        if not ids:
            raise forms.ValidationError(_("The order is not a list of ids."))
        return ids


class MoveForm(forms.Form):
    """One place up or down (the keyboard alternative to dragging)."""

    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])
