"""One open task as a list row (My day, the deal page, the client card), built in Python.

My day renders 75 rows; through the template engine (includes for the icon and the contact links, a
``{% url %}`` and several ``{% translate %}`` per row) they were most of the page's server time at 100k deals.
The markup is the one ``activities/_task_row.html`` documents (that template calls this tag); every dynamic
text is escaped.
"""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from voronka.core.formatting import format_since

register = template.Library()


def _labels(context) -> dict:
    """Texts, URL prefixes and icons, made once per response (kept in the render context)."""
    cache = context.render_context
    labels = cache.get("task_row_labels")
    if labels is None:
        labels = cache["task_row_labels"] = {
            "today": escape(_("Today")), "any_time": escape(_("any time")), "stage": escape(_("Stage")),
            "assignee": escape(_("Assignee")), "complete": escape(_("Complete")), "call": escape(_("Call")),
            "write": escape(_("Write")), "icons": {},
        }
    return labels


def _icon(labels: dict, kind: str) -> str:
    icons = labels["icons"]
    if kind not in icons:
        icons[kind] = render_to_string("activities/_icon.html", {"kind": kind}).strip()
    return icons[kind]


def _contact_links(contact, client, labels: dict) -> str:
    phone = (getattr(contact, "phone", "") or "") or (getattr(client, "phone", "") or "")
    email = (getattr(contact, "email", "") or "") or (getattr(client, "email", "") or "")
    if not phone and not email:
        return ""
    out = ['<span class="contact-links">']
    if contact is not None:
        out.append(f'<span class="contact-name">{escape(contact.name)}</span>')
    if phone:
        phone = escape(phone)
        out.append(f'<a class="tel-link" href="tel:{phone}" data-tel title="{labels["call"]} {phone}">☎'
                   f'<span class=""> {phone}</span></a>')
    if email:
        email = escape(email)
        out.append(f'<a class="mail-link" href="mailto:{email}" data-mailto title="{labels["write"]} {email}">✉'
                   f'<span class=""> {email}</span></a>')
    out.append("</span>")
    return "".join(out)


@register.simple_tag(takes_context=True)
def task_row(context) -> str:
    """The row of ``task`` with the include's options (``hide_date``, ``hide_deal``, ``show_assignee``,
    ``show_contact``, ``next``) and ``today``, ``user`` from the context."""
    from voronka.web.templatetags.ui import day_month

    task, today = context["task"], context["today"]
    labels = _labels(context)
    pk = task.pk
    overdue = task.due_date < today
    when = []
    if not context.get("hide_date"):
        date = labels["today"] if task.due_date == today else escape(day_month(task.due_date))
        when.append(f'<span class="task-date">{date}</span>')
    if task.due_time:
        when.append(f'<span class="task-time">{task.due_time:%H:%M}</span>')
    else:
        when.append(f'<span class="task-time muted">{labels["any_time"] if context.get("hide_date") else ""}</span>')
    kind_label = escape(task.get_kind_display())
    kind = escape(task.kind)
    meta = []
    if not context.get("hide_deal"):
        if task.deal_id:
            meta.append(f'<a class="task-deal" href="{reverse("deals:detail", args=[task.deal_id])}">'
                        f'{escape(task.deal.title)}</a>')
        if task.client_id:
            meta.append(f'<span class="task-client"><a href="{reverse("clients:detail", args=[task.client_id])}">'
                        f'{escape(task.client.name)}</a></span>')
        if task.deal_id:
            meta.append(f'<span class="badge badge-stage" title="{labels["stage"]}">{escape(task.deal.stage.name)}</span>')
    if overdue:
        since = _("overdue %(since)s") % {"since": format_since(task.due_date, today)}
        meta.append(f'<span class="badge flag-overdue">{escape(since)}</span>')
    if context.get("show_contact"):
        meta.append(_contact_links(task.deal.contact if task.deal_id else None, task.client, labels))
    if context.get("show_assignee"):
        meta.append(f'<span class="task-assignee" title="{labels["assignee"]}">{escape(str(task.assignee))}</span>')
    actions = ""
    user = context.get("user")
    if user is not None and not getattr(user, "is_read_only", True):
        url = reverse("activities:complete", args=[pk])
        nxt = context.get("next")
        href = f"{url}?next={escape(quote(str(nxt), safe='/'))}" if nxt else url
        actions = (f'<a class="btn btn-small btn-primary" data-complete href="{href}" hx-get="{url}" '
                   f'hx-target="#modal-root" hx-swap="innerHTML">{labels["complete"]}<span class="visually-hidden">: '
                   f'{escape(task.title)}</span></a>')
    return mark_safe(
        f'<li class="task-row{" is-overdue" if overdue else ""}" id="task-{pk}" tabindex="0" data-task-row '
        f'aria-labelledby="task-{pk}-title task-{pk}-when">'
        f'<div class="task-when" id="task-{pk}-when">{"".join(when)}</div>'
        f'<span class="task-kind kind-{kind}" title="{kind_label}">{_icon(labels, task.kind)}'
        f'<span class="task-kind-label">{kind_label}</span></span>'
        f'<div class="task-main"><span class="task-title" id="task-{pk}-title">{escape(task.title)}</span>'
        f'<span class="task-meta">{" ".join(m for m in meta if m)}</span></div>'
        f'<div class="task-actions">{actions}</div></li>\n')
