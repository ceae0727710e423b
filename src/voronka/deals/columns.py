"""The columns of the deal list: which ones exist, their labels and sort keys, and how a cell renders.

A user picks the columns to show and their order (``services.set_deal_list_columns``, stored per user in
``DealListPreference``); the title is always the first column. Custom deal fields (``cf:<key>``) can be
columns too: their values live on the row (``Deal.custom``), so any choice reads the same queries.

Cells are built in Python, as the board's cards are (``deal_tags._card_html``): a page of 50 rows × up to 20
columns through the template engine was most of the list's server time. Every dynamic text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.catalog.fields import custom_display, custom_key
from voronka.core.formatting import format_days, show_money

CUSTOM_PREFIX = "cf:"
COLUMNS_MAX = 30


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy string (standard columns) or a custom field's label
    sort: str = ""  # the list's ``o=`` key when the column sorts
    css: str = ""
    render: Callable | None = None  # (deal, labels) -> escaped HTML of the cell's content
    related: tuple[str, ...] = ()  # select_related paths the cell reads (joined only when shown)


def _date(value) -> str:
    return "" if value is None else f'<time datetime="{value:%Y-%m-%d}">{value:%d.%m.%Y}</time>'


def _ref(value) -> str:
    return "" if value is None else escape(str(value))


def _contact_links(deal, labels: dict) -> str:
    """Compact tel:/mailto: links of the deal's contact, else of its client (``activities/_contact_links.html``
    in Python: the same markup and classes)."""
    contact, client = deal.contact, deal.client
    phone = (contact.phone if contact is not None else "") or client.phone
    email = (contact.email if contact is not None else "") or client.email
    if not phone and not email:
        return ""
    out = ['<span class="contact-links is-compact">']
    if contact is not None:
        out.append(f'<span class="contact-name">{escape(contact.name)}</span>')
    if phone:
        phone = escape(phone)
        out.append(f'<a class="tel-link" href="tel:{phone}" data-tel title="{labels["call"]} {phone}">☎'
                   f'<span class="visually-hidden"> {phone}</span><span class="visually-hidden">{labels["call"]}'
                   f'</span></a>')
    if email:
        email = escape(email)
        out.append(f'<a class="mail-link" href="mailto:{email}" data-mailto title="{labels["write"]} {email}">✉'
                   f'<span class="visually-hidden"> {email}</span></a>')
    out.append("</span>")
    return "".join(out)


def _client(deal, labels: dict) -> str:
    return f"{escape(deal.client.name)} {_contact_links(deal, labels)}"


def _stage(deal, labels: dict) -> str:
    pipeline, stage = escape(deal.pipeline.name), escape(deal.stage.name)
    return f'<span title="{pipeline} · {stage}"><span class="muted small">{pipeline} ·</span> {stage}</span>'


def _next_task(deal, labels: dict) -> str:
    flag = ""
    if deal.overdue:
        flag = f' <span class="badge flag-overdue">{labels["overdue"]}</span>'
    elif deal.no_task:
        flag = f' <span class="badge flag-notask">{labels["no_task"]}</span>'
    return _date(deal.next_task_date) + flag


def _on_stage(deal, labels: dict) -> str:
    if not deal.is_open:
        return ""
    stuck = f' <span class="badge flag-rotting">{labels["stuck"]}</span>' if deal.rotting else ""
    return escape(format_days(deal.days_on_stage)) + stuck


def _status(deal, labels: dict) -> str:
    badge = {"won": "badge badge-ok", "lost": "badge badge-danger"}.get(deal.status, "badge")
    return f'<span class="{badge}">{escape(deal.get_status_display())}</span>'


STANDARD_COLUMNS: tuple[Column, ...] = (
    Column("client", gettext_lazy("Client"), sort="client", render=_client),
    Column("amount", gettext_lazy("Amount"), sort="amount", css="num",
           render=lambda d, _l: escape(show_money(d.amount, d.currency))),
    Column("stage", gettext_lazy("Stage"), sort="stage", css="col-stage", render=_stage),
    Column("next_task", gettext_lazy("Next task"), render=_next_task),
    Column("owner", gettext_lazy("Owner"), sort="owner", render=lambda d, _l: escape(str(d.owner))),
    Column("close", gettext_lazy("Close date"), sort="close", render=lambda d, _l: _date(d.expected_close_date)),
    Column("on_stage", gettext_lazy("On stage"), sort="on_stage", render=_on_stage),
    Column("created", gettext_lazy("Created"), sort="created", render=lambda d, _l: _date(d.created_at.date())),
    Column("status", gettext_lazy("Status"), render=_status),
    Column("source", gettext_lazy("Source"), render=lambda d, _l: _ref(d.source), related=("source",)),
    Column("channel", gettext_lazy("Channel"), render=lambda d, _l: _ref(d.channel), related=("channel",)),
    Column("campaign", gettext_lazy("Campaign"), render=lambda d, _l: _ref(d.campaign), related=("campaign",)),
    Column("product", gettext_lazy("Product"), render=lambda d, _l: _ref(d.product), related=("product",)),
    Column("team", gettext_lazy("Team"), render=lambda d, _l: _ref(d.owner_team), related=("owner_team",)),
)
STANDARD_BY_KEY = {c.key: c for c in STANDARD_COLUMNS}
# What a user sees before choosing (the list as it was): Pipedrive's default view.
DEFAULT_COLUMNS = ("client", "amount", "stage", "next_task", "owner", "close", "on_stage", "created", "status")


def _custom_column(definition) -> Column:
    key = definition.key

    def render(deal, _labels, definition=definition):
        return escape(custom_display(definition, (deal.custom or {}).get(key), currency=deal.currency))

    css = "num" if definition.field_type in ("number", "money") else ""
    return Column(custom_key(definition), definition.label, css=css, render=render)


def available_columns(definitions=None) -> list[Column]:
    """Every column a user may choose: the standard ones, then the active custom deal fields.

    ``definitions``: the custom field definitions (read once by the caller); ``None`` leaves custom fields out.
    """
    custom = [_custom_column(d) for d in definitions or [] if d.is_active and d.entity == "deal"]
    return [*STANDARD_COLUMNS, *custom]


def columns_definitions(columns: list[Column]) -> list:
    """The custom field definitions ``deal_list_columns`` read (kept on its columns: no second query)."""
    return getattr(columns, "definitions", None) or []


class ColumnList(list):
    """The chosen columns, with the active custom deal field definitions read alongside them."""

    definitions: list = []


def resolve_columns(keys, definitions=None) -> list[Column]:
    """The chosen keys as columns, in order; keys of no column (a custom field deactivated since) drop out."""
    by_key = {c.key: c for c in available_columns(definitions)}
    out = ColumnList(by_key[k] for k in dict.fromkeys(keys) if k in by_key)
    out.definitions = list(definitions or [])
    return out


def cell_labels() -> dict[str, str]:
    """The texts inside cells, translated (and escaped) once per response."""
    return {key: escape(value) for key, value in {
        "call": _("Call"), "write": _("Write"), "overdue": _("Overdue"), "no_task": _("No task"),
        "stuck": _("Stuck"), "select": _("Select “%(title)s”"), "deal_url": reverse("deals:list"),
    }.items()}


def render_row(deal, columns: list[Column], labels: dict, *, check: bool) -> str:
    """One ``<tr>`` of the list (the title first, then the chosen columns); ``data-label`` names each cell on
    phones, where the rows become cards. ``labels["_cells"]`` (the opening tags) is built once per response."""
    heads = labels.get("_cells")
    if heads is None:
        heads = labels["_cells"] = [
            (f'<td{f" class={chr(34)}{c.css}{chr(34)}" if c.css else ""} data-col="{escape(c.key)}" '
             f'data-label="{escape(c.label)}">', c.render) for c in columns]
    pk = deal.pk
    title = escape(deal.title)
    out = [f'<tr data-deal-row="{pk}">']
    if check:
        out.append(f'<td class="col-check"><input type="checkbox" name="deal" value="{pk}" aria-label="'
                   f'{labels["select"] % {"title": title}}"></td>')
    out.append(f'<td class="col-title"><a href="{labels["deal_url"]}{pk}/" title="{title}">{title}</a></td>')
    for head, render in heads:
        out.append(f"{head}{render(deal, labels)}</td>")
    out.append("</tr>\n")
    return "".join(out)
