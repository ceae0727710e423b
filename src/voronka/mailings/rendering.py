"""Safe rendering of email templates: Django's template language limited to a fixed set of variables.

A template may contain text and ``{{ variable }}`` / ``{{ variable|filter }}`` only: no tags (no ``load``,
``include``, ``url``, loops), only the filters in ``ALLOWED_FILTERS``, only the names in ``VARIABLES``. The
context is built of plain strings (never model objects), so nothing can reach a method or an attribute the
list does not name. An unknown name is an error at save (``check_source``), never an empty string.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import TextNode, VariableNode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import DomainError

VARIABLES = {
    "client.name": gettext_lazy("client's name"),
    "client.email": gettext_lazy("client's email"),
    "client.phone": gettext_lazy("client's phone"),
    "contact.name": gettext_lazy("contact person's name"),
    "contact.position": gettext_lazy("contact person's position"),
    "deal.title": gettext_lazy("deal title"),
    "deal.amount": gettext_lazy("deal amount"),
    "deal.currency": gettext_lazy("deal currency"),
    "deal.stage": gettext_lazy("deal stage"),
    "manager.name": gettext_lazy("manager's name"),
    "manager.email": gettext_lazy("manager's email"),
    "manager.phone": gettext_lazy("manager's phone"),
    "company.name": gettext_lazy("our company's name (VORONKA_COMPANY_NAME)"),
    "link_url": gettext_lazy("tracked link: a click brings the client back to the pipeline"),
    "unsubscribe_url": gettext_lazy("unsubscribe link"),
}
ALLOWED_FILTERS = {"default", "upper", "lower", "title", "capfirst", "floatformat"}

_ENGINE = Engine(autoescape=False, libraries={}, builtins=["django.template.defaultfilters"],
                 string_if_invalid="", debug=False)


def _compile(source: str, field: str):
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise DomainError(_("Template error: %(error)s") % {"error": exc}, field=field) from None
    for node in template.nodelist:
        if isinstance(node, TextNode):
            continue
        if not isinstance(node, VariableNode):
            raise DomainError(_("Only {{ variables }} are allowed in an email template, no {%% tags %%}.") % {},
                              field=field)
        expression = node.filter_expression
        var = getattr(expression.var, "var", None)
        if not isinstance(var, str) or var not in VARIABLES:
            raise DomainError(_("Unknown variable: %(name)s. Available: %(names)s.")
                              % {"name": expression.token, "names": ", ".join(VARIABLES)}, field=field)
        for func, _args in expression.filters:
            name = getattr(func, "__name__", "")
            if name not in ALLOWED_FILTERS:
                raise DomainError(_("Filter not allowed: %(name)s. Allowed: %(names)s.")
                                  % {"name": name, "names": ", ".join(sorted(ALLOWED_FILTERS))}, field=field)
    return template


def check_source(source: str, *, field: str) -> None:
    """Refuse a subject or body that uses anything beyond the fixed variables (``DomainError`` on ``field``)."""
    _compile(source, field)


@dataclass
class Rendered:
    subject: str
    body: str


def _person(user) -> dict[str, str]:
    return {"name": user.get_full_name() or user.username, "email": user.email or "",
            "phone": getattr(user, "phone", "") or ""}


def build_context(*, client, manager, deal=None, contact=None, link_url: str = "",
                  unsubscribe_url: str = "") -> dict[str, dict[str, str] | str]:
    """The variables of one email, as plain strings."""
    contact = contact or (deal.contact if deal is not None and deal.contact_id else None)
    if contact is None:
        contact = client.contacts.order_by("-is_primary", "pk").first()
    return {
        "client": {"name": client.name, "email": client.email or "", "phone": client.phone or ""},
        "contact": {"name": contact.name if contact else client.name,
                    "position": contact.position if contact else ""},
        "deal": {"title": deal.title, "amount": str(deal.amount), "currency": deal.currency,
                 "stage": deal.stage.name} if deal is not None else {"title": "", "amount": "", "currency": "",
                                                                     "stage": ""},
        "manager": _person(manager),
        "company": {"name": getattr(settings, "VORONKA_COMPANY_NAME", "") or "Voronka"},
        "link_url": link_url,
        "unsubscribe_url": unsubscribe_url,
    }


def render(*, subject: str, body: str, context: dict) -> Rendered:
    """Subject (one line) and body of an email from already checked sources."""
    ctx = Context(context, autoescape=False)
    text = _compile(subject, "subject").render(ctx)
    return Rendered(subject=" ".join(text.split())[:1000], body=_compile(body, "body").render(ctx))
