"""Display helpers of the deal screens: money, durations, sort links (field values: ``catalog.fields``)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import mark_safe

from voronka.core.formatting import currency_sign as currency_sign_of
from voronka.core.formatting import format_days, format_duration, format_since, show_money

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """The one way amounts are shown: ``1 250 000,50 ₽`` / ``1,250,000.50 ₽``; no amount (empty or 0): ``—``.

    No currency: the base currency. Kopecks only when there are any.
    """
    return show_money(value, currency)


@register.filter
def money_totals(totals) -> str:
    """Sums per currency (``[("RUB", 1200000), ("USD", 3000)]``) → ``1 200 000 ₽ + 3 000 $``: never one sum."""
    return " + ".join(money(amount, code) for code, amount in totals or [])


@register.filter
def currency_sign(code: str) -> str:
    """``RUB`` → ``₽`` (the one sign per currency, as in ``money``)."""
    return currency_sign_of(code or settings.VORONKA_DEFAULT_CURRENCY)


@register.filter
def duration(seconds) -> str:
    """Seconds → ``2 дня 4 ч`` / ``6 ч 50 мин`` / ``2 мин`` (one style everywhere, ``core.formatting``)."""
    return format_duration(seconds)


@register.filter
def days(value) -> str:
    """``3`` → ``3 дня`` / ``3 days`` (plural forms)."""
    return format_days(value)


@register.filter
def since(value, now=None) -> str:
    """How long ago ``value`` was, in the same style as ``duration``."""
    return format_since(value, now)


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def sort_link(context, column: str) -> str:
    """The list URL sorted by ``column``: ascending first, descending when it is already ascending."""
    query = context["request"].GET.copy()
    current = query.get("o", "")
    query["o"] = f"-{column}" if current == column else column
    query.pop("page", None)
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def sort_state(context, column: str) -> str:
    """``ascending`` / ``descending`` / ``none`` for ``aria-sort``."""
    current = context.get("order_key", "")
    if current == column:
        return "ascending"
    if current == f"-{column}":
        return "descending"
    return "none"


@register.simple_tag(takes_context=True)
def page_link(context, number) -> str:
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


@register.filter
def transition_kind(value) -> str:
    from voronka.deals.models import TransitionKind

    try:
        return str(TransitionKind(value).label)
    except ValueError:
        return str(value)


def _card_tel(deal, labels: dict) -> str:
    """A compact tel: link with the client's phone (the card's contact)."""
    phone = getattr(deal.client, "phone", "") or ""
    if not phone:
        return ""
    phone = escape(phone)
    return (f' <a class="kcard-tel" href="tel:{phone}" data-tel title="{labels["call"]} {phone}">☎'
            f'<span class="visually-hidden">{labels["call"]} {phone}</span></a>')


def _card_html(deal, labels: dict) -> str:
    """One kanban card. Built in Python: a board renders hundreds of cards and the template engine would
    spend most of the response time on them. Every dynamic text goes through ``escape``."""
    pk = deal.pk
    title = escape(deal.title)
    classes = "kcard" + (" is-rotting" if deal.rotting else "") + (" is-overdue" if deal.overdue else "")
    amount = (f'{escape(money(deal.amount, deal.currency))}' if deal.amount
              else f'<span class="muted" title="{labels["no_amount"]}">—</span>')
    task = ""
    if deal.next_task_date:
        kind = getattr(deal, "next_task_kind", "") or ""
        label = labels.get(f"kind_{kind}", labels["task"])
        task = (f'<span class="kcard-task-label" data-next-kind="{escape(kind)}">{label}</span> '
                f'<time datetime="{deal.next_task_date.isoformat()}">{deal.next_task_date:%d.%m}</time>')
    flags = ""
    if deal.overdue or deal.no_task or deal.rotting:
        flags = '<div class="kcard-flags">' + "".join((
            f'<span class="badge flag-overdue">{labels["overdue"]}</span>' if deal.overdue else "",
            f'<span class="badge flag-notask">{labels["no_task"]}</span>' if deal.no_task else "",
            f'<span class="badge flag-rotting">{labels["stuck"]}</span>' if deal.rotting else "",
        )) + "</div>"
    return (
        f'<article class="{classes}" id="card-{pk}" data-deal="{pk}" data-version="{deal.version}">'
        f'<div class="kcard-top"><a class="kcard-title" href="{labels["deal_url"]}{pk}/">{title}</a>'
        f'<button type="button" class="kcard-move" aria-label="{labels["move"]}: {title}" '
        f'title="{labels["move"]}">⇄</button></div>'
        f'<div class="kcard-client">{escape(deal.client.name)}{_card_tel(deal, labels)}</div>'
        f'<div class="kcard-line"><span class="kcard-amount">{amount}</span>'
        f'<span class="kcard-owner" title="{labels["owner"]}">{escape(str(deal.owner))}</span></div>'
        f'<div class="kcard-line small"><span class="kcard-task{" is-overdue" if deal.overdue else ""}">{task}</span>'
        f'<span class="kcard-days" title="{labels["days_on_stage"]}">{format_days(deal.days_on_stage).replace(" ", "&nbsp;")}</span>'
        f'</div>{flags}</article>\n'
    )


@register.simple_tag
def kanban_cards(cards, labels) -> str:
    """The cards of a column (see ``_card_html``); ``labels`` are translated once per response."""
    safe = {key: escape(value) for key, value in labels.items()}
    return mark_safe("".join(_card_html(deal, safe) for deal in cards))  # every part is escaped above


@register.simple_tag
def deal_rows(rows, columns, check=False) -> str:
    """The rows of the deal list with the user's columns (``deals.columns.render_row``: escaped there)."""
    from voronka.deals.columns import cell_labels, render_row

    labels = cell_labels()
    return mark_safe("".join(render_row(deal, columns, labels, check=bool(check)) for deal in rows))
