"""The access rule of every route: the authorization matrix refuses a route that has none.

A new URL pattern or API operation fails ``test_every_route_has_an_access_rule`` until it is listed here, so
nobody adds a page without deciding who may open it.

- ``PUBLIC``: anyone, signed in or not (sign-in, health checks, the API's schema);
- ``SIGNED_IN``: every signed-in user; what it shows is filtered by the user's scope;
- ``SELF``: the user's own account (password, two-factor, language, tokens, sign-out): analysts may write it;
- ``OBJECT``: a page of one deal, client or task (or a write on it): outside the user's scope it is a 404;
- ``ADMIN``: settings; everybody but administrators is refused and writes nothing.
"""

from __future__ import annotations

PUBLIC = "public"
SIGNED_IN = "signed-in"
SELF = "self"
OBJECT = "object"
ADMIN = "admin"

PAGES: dict[str, str] = {
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "web:login": PUBLIC,
    "web:favicon": PUBLIC,
    "web:language": PUBLIC,
    "forms:page": PUBLIC,  # a web form on the company's site: anyone submits (spam checks inside)
    "forms:token": PUBLIC,
    "web:home": PUBLIC,  # a redirect to My day, which asks for sign-in
    "web:my_day": SIGNED_IN,
    "web:search": SIGNED_IN,
    "web:help": SIGNED_IN,  # the user guide: the same text for everyone, by language
    "web:help_section": SIGNED_IN,
    "web:logout": SELF,
    "web:password_change": SELF,
    "web:password_reset": PUBLIC,
    "web:password_reset_done": PUBLIC,
    "web:password_reset_confirm": PUBLIC,
    "web:two_factor": SELF,
    "accounts:api_tokens": SELF,
    "accounts:api_token_revoke": SELF,
    "accounts:sessions": SELF,
    "accounts:session_end": SELF,
    "integrations:telephony": PUBLIC,
    "calendar:feed": PUBLIC,  # authenticates by the secret token in its URL
    "calendar:settings": SELF,
    "mailings:track": PUBLIC,  # the tracked link of an email: authenticates by the secret token in its URL
    "mailings:unsubscribe": PUBLIC,  # the unsubscribe link (one-click POST, RFC 8058): the token in its URL
    "mailings:deal_send": OBJECT,
    "mailings:client_send": OBJECT,
    "mailings:client_sequences": OBJECT,
    "automation:list": SELF,  # the user's own notifications
    "automation:read": SELF,
    "automation:read_all": SELF,
    "automation:preferences": SELF,
    "exports:list": SIGNED_IN,  # filtered by the user's scope, like the lists
    "exports:deal_timeline": OBJECT,
    "exports:client_timeline": OBJECT,  # authenticates by the secret token in its URL
    "activities:list": SIGNED_IN,
    "activities:bulk": SIGNED_IN,  # the services refuse managers and keep only tasks in scope
    "activities:create": SIGNED_IN,
    "activities:timeline_add": SIGNED_IN,
    "activities:complete": OBJECT,
    "analytics:index": SIGNED_IN,
    "analytics:report": SIGNED_IN,
    "analytics:export": SIGNED_IN,
    "analytics:dashboard": SIGNED_IN,
    "analytics:dashboard_kind": SIGNED_IN,
    "plans:grid": SIGNED_IN,
    "audit:client_changes": OBJECT,
    "audit:deal_changes": OBJECT,
    "clients:list": SIGNED_IN,
    "clients:quick_add_check": SIGNED_IN,  # writers only; names a colleague's client as quick add does
    "clients:quick_add": SIGNED_IN,
    "clients:detail": OBJECT,
    "clients:edit": OBJECT,
    "clients:contact_add": OBJECT,
    "clients:qualification": OBJECT,
    "clients:refuse": OBJECT,
    "clients:archive": OBJECT,
    "deals:list": SIGNED_IN,
    "deals:board_default": SIGNED_IN,
    "deals:board": SIGNED_IN,
    "deals:board_column": SIGNED_IN,
    "deals:bulk_reassign": SIGNED_IN,
    "deals:list_columns": SELF,  # the user's own column choice, as his own account settings
    "deals:detail": OBJECT,
    "deals:field": OBJECT,
    "deals:lines": OBJECT,
    "deals:lose": OBJECT,
    "deals:move": OBJECT,
    "deals:pipeline_change": OBJECT,
    "deals:reopen": OBJECT,
    "deals:tasks": OBJECT,
    "deals:timeline": OBJECT,
    "deals:win": OBJECT,
    "deals:archive": OBJECT,
    "billing:deal_panel": OBJECT,
    "billing:invoice_create": OBJECT,
    "billing:invoice": OBJECT,
    "billing:invoice_pdf": OBJECT,
    "billing:invoice_issue": OBJECT,
    "billing:invoice_cancel": OBJECT,
    "billing:invoice_reissue": OBJECT,
    "billing:invoice_send": OBJECT,
    "billing:invoice_plan": OBJECT,
    "billing:payment_add": OBJECT,
    "billing:receivables": SIGNED_IN,  # filtered by the user's scope
    "billing:statement_import": SIGNED_IN,  # matches invoices in the user's scope; record_payment checks each
    "billing:shipments_overdue": SIGNED_IN,  # filtered by the user's scope
    "billing:shipment_create": OBJECT,
    "billing:surveys": SIGNED_IN,  # answers of the deals in the user's scope
    "survey:answer": PUBLIC,  # a client's survey link: the secret token in its URL is the key
    "billing:shipment_status": OBJECT,
    "billing:shipment_pdf": OBJECT,
    "billing:act_create": OBJECT,
    "billing:act_pdf": OBJECT,
    "billing:act_action": OBJECT,
    **{name: ADMIN for name in (
        "settings:audit", "settings:dictionaries", "settings:dictionary", "settings:dictionary_item",
        "settings:dictionary_item_move", "settings:dictionary_item_toggle", "settings:dictionary_reorder",
        "settings:field", "settings:field_create", "settings:fields", "settings:index", "settings:pipeline",
        "settings:pipeline_create", "settings:pipeline_install", "settings:pipelines", "settings:question",
        "settings:question_move", "settings:question_reorder", "settings:question_set",
        "settings:question_set_edit", "settings:question_set_toggle", "settings:question_sets",
        "settings:question_toggle", "settings:stage", "settings:stage_add", "settings:stage_archive",
        "settings:stage_delete", "settings:stage_lint", "settings:stage_move", "settings:stage_reorder",
        "settings:stage_unarchive", "settings:team", "settings:teams", "settings:user", "settings:user_create",
        "settings:user_password", "settings:user_deactivate", "settings:user_pipelines", "settings:users",
    )},
}

# Every route of a namespace without its own entry above (the settings are all administrators').
NAMESPACES: dict[str, str] = {"settings": ADMIN}


def page_rule(name: str) -> str | None:
    return PAGES.get(name) or NAMESPACES.get(name.partition(":")[0])


# API operations by method and path as the OpenAPI schema lists them. Operations with an object in the path
# are OBJECT; lists and creates SIGNED_IN (filtered by scope; a create checks every object it is given).

API_RULES: dict[str, str] = {
    "GET /api/v1/clients": SIGNED_IN,
    "POST /api/v1/clients": SIGNED_IN,
    "GET /api/v1/clients/{client_id}": OBJECT,
    "PATCH /api/v1/clients/{client_id}": OBJECT,
    "GET /api/v1/clients/{client_id}/contacts": OBJECT,
    "POST /api/v1/clients/{client_id}/contacts": OBJECT,
    "GET /api/v1/clients/{client_id}/timeline": OBJECT,
    "GET /api/v1/deals": SIGNED_IN,
    "POST /api/v1/deals": SIGNED_IN,
    "GET /api/v1/deals/fields": SIGNED_IN,
    "GET /api/v1/deals/{deal_id}": OBJECT,
    "PATCH /api/v1/deals/{deal_id}": OBJECT,
    "POST /api/v1/deals/{deal_id}/move": OBJECT,
    "POST /api/v1/deals/{deal_id}/win": OBJECT,
    "POST /api/v1/deals/{deal_id}/lose": OBJECT,
    "POST /api/v1/deals/{deal_id}/reopen": OBJECT,
    "POST /api/v1/deals/{deal_id}/reassign": OBJECT,
    "POST /api/v1/deals/{deal_id}/pipeline": OBJECT,
    "GET /api/v1/deals/{deal_id}/timeline": OBJECT,
    "GET /api/v1/deals/{deal_id}/invoices": OBJECT,
    "POST /api/v1/deals/{deal_id}/invoices": OBJECT,
    "GET /api/v1/invoices/{invoice_id}": OBJECT,
    "GET /api/v1/invoices/{invoice_id}/pdf": OBJECT,
    "PUT /api/v1/invoices/{invoice_id}/plan": OBJECT,
    "POST /api/v1/invoices/{invoice_id}/payments": OBJECT,
    "POST /api/v1/invoices/{invoice_id}/send": OBJECT,
    "GET /api/v1/receivables": SIGNED_IN,  # filtered by the user's scope
    "POST /api/v1/deals/{deal_id}/shipments": OBJECT,
    "GET /api/v1/shipments/{shipment_id}": OBJECT,
    "POST /api/v1/shipments/{shipment_id}/status": OBJECT,
    "GET /api/v1/shipments/{shipment_id}/pdf": OBJECT,
    "GET /api/v1/deals/{deal_id}/acts": OBJECT,
    "POST /api/v1/deals/{deal_id}/acts": OBJECT,
    "GET /api/v1/acts/{act_id}": OBJECT,
    "POST /api/v1/acts/{act_id}/status": OBJECT,
    "GET /api/v1/acts/{act_id}/pdf": OBJECT,
    "GET /api/v1/tasks": SIGNED_IN,
    "POST /api/v1/tasks": SIGNED_IN,
    "GET /api/v1/tasks/{task_id}": OBJECT,
    "PATCH /api/v1/tasks/{task_id}": OBJECT,
    "POST /api/v1/tasks/{task_id}/complete": OBJECT,
    "POST /api/v1/tasks/{task_id}/postpone": OBJECT,
    "POST /api/v1/tasks/{task_id}/cancel": OBJECT,
    "POST /api/v1/timeline": SIGNED_IN,
    "GET /api/v1/pipelines": SIGNED_IN,
    "GET /api/v1/pipelines/{pipeline_id}": SIGNED_IN,
    "GET /api/v1/dictionaries": SIGNED_IN,
    "GET /api/v1/dictionaries/{kind}": SIGNED_IN,
    "GET /api/v1/users": SIGNED_IN,
    "GET /api/v1/users/me": SELF,
    "GET /api/v1/users/{user_id}": SIGNED_IN,
    "GET /api/v1/teams": SIGNED_IN,
    "GET /api/v1/reports": SIGNED_IN,
    "GET /api/v1/reports/{name}": SIGNED_IN,
    "POST /api/v1/pipelines": ADMIN,
    "PATCH /api/v1/pipelines/{pipeline_id}": ADMIN,
    "POST /api/v1/pipelines/{pipeline_id}/stages": ADMIN,
    "PATCH /api/v1/pipelines/{pipeline_id}/stages/{stage_id}": ADMIN,
    "POST /api/v1/pipelines/{pipeline_id}/stage-order": ADMIN,
    **{op: ADMIN for op in (
        "GET /api/v1/webhooks", "POST /api/v1/webhooks", "GET /api/v1/webhooks/events",
        "GET /api/v1/webhooks/{webhook_id}", "PATCH /api/v1/webhooks/{webhook_id}",
        "DELETE /api/v1/webhooks/{webhook_id}", "POST /api/v1/webhooks/{webhook_id}/rotate-secret",
        "POST /api/v1/webhooks/{webhook_id}/test", "GET /api/v1/webhooks/{webhook_id}/deliveries",
        "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    )},
}
