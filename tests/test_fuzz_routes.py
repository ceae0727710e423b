"""Garbage to every POST route of the URLconf, as a manager and as an admin: never a 500.

A small replay of the fuzzing run of issue 7: huge numbers, "²", "1e309", empty, "abc", very long strings
and a bad ``next`` in every field name the forms use. Routes are enumerated from the URLconf, so a new
route is covered without editing this file (give its URL parameters a value in ``_kwargs`` if needed).
"""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import make_deal
from voronka.activities.models import Task
from voronka.catalog.models import CustomFieldDefinition
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.services import create_subscription, send_test_event

pytestmark = pytest.mark.django_db

LONG = "я" * 20_000
GARBAGE = ["9" * 40, "1e309", "²", "", "abc", LONG]
LONG_FIELDS = ("name", "title", "body", "comment", "notes", "requisites", "label", "choices", "instructions",
               "task_title", "new-name", "q_1")
FIELDS = [
    "amount", "stage", "version", "order", "name", "title", "quantity", "price", "cost", "currency", "sku",
    "lines-TOTAL_FORMS", "lines-INITIAL_FORMS", "lines-0-product", "lines-0-quantity", "lines-0-price",
    "lines-0-discount_pct", "fields", "lines_product", "lines_quantity", "lines_price", "deal", "client", "owner",
    "assignee", "kind", "body", "comment", "outcome", "postpone_to", "lost_reason", "lost_comment", "due_date",
    "due_time", "task_title", "task_kind", "task_due_date", "pipeline", "existing_client", "inn", "phone", "email",
    "notes", "requisites", "website", "rating", "language", "direction", "sort_order", "min_value", "max_value",
    "decimal_places", "field_type", "entity", "label", "key", "choices", "responsible", "username", "role",
    "team", "is_active", "new-name", "new-price", "new-cost", "new-currency", "new-starts_on", "cf:x", "filters",
    "ctx", "q_1", "contact_name", "contact_phone", "next_title", "next_due_date", "expected_close_date",
    "password", "password1", "password2", "new_password1", "new_password2", "lead", "max_days", "probability",
    "required_fields", "on_enter", "instructions", "slug", "template", "allow_duplicate", "month",
]


def _routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> list[tuple[str, list]]:
    """(``namespace:name``, URL parameter names) of every named route outside /admin/."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue
            ns = entry.namespace or namespace
            found += _routes(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            found.append((name, list(entry.pattern.converters)))
    return found


ROUTES = sorted({name: params for name, params in _routes()}.items())


@pytest.fixture
def objects(world):
    deal = make_deal(world.owner, world.pipeline, values={"amount": "100"})
    definition = CustomFieldDefinition.objects.create(entity="deal", key="x", label="X", field_type="number")
    webhook = create_subscription(actor=world.admin, name="W", target_url="http://127.0.0.1:9/", event_types=["*"])
    delivery = send_test_event(actor=world.admin, subscription=webhook)  # sent on commit: never, in a test
    lead_form = save_lead_form(actor=world.admin, slug="site", title="Site", pipeline=world.pipeline,
                               assign_mode="fixed", assignee=world.owner)
    return {"deal": deal, "task": Task.objects.get(deal=deal), "definition": definition, "webhook": webhook,
            "delivery": delivery, "lead_form": lead_form}


def _kwargs(name: str, params: list[str], world, objects) -> dict:
    deal = objects["deal"]
    by_route = {"settings:field": objects["definition"].pk, "settings:user": world.owner.pk,
                "settings:user_password": world.owner.pk, "settings:user_deactivate": world.owner.pk,
                "settings:user_pipelines": world.owner.pk, "settings:team": world.team.pk}
    if name.startswith("settings:webhook"):
        by_route[name] = objects["webhook"].pk
    if name.startswith("settings:lead_form"):
        by_route[name] = objects["lead_form"].pk
    if name.startswith("billing:invoice") or name == "billing:payment_add":
        by_route[name] = objects["invoice"].pk if objects.get("invoice") is not None else deal.pk
    if name in ("billing:act_pdf", "billing:act_action"):
        by_route[name] = objects["act"].pk if objects.get("act") is not None else deal.pk
    pipeline_routes = ("settings:pipeline", "settings:stage_add", "settings:stage_reorder")
    values = {"deal_id": deal.pk, "client_id": deal.client_id, "task_id": objects["task"].pk,
              "stage_id": deal.stage_id, "slug": "site" if name.startswith("forms:") else world.pipeline.slug,
              "kind": "deals" if name.startswith("exports:") else "sources", "key": "title", "fmt": "csv",
              "name": "funnel", "pipeline_id": world.pipeline.pk, "user_id": world.owner.pk,
              "webhook_id": objects["webhook"].pk, "delivery_id": objects["delivery"].pk,
              "delivery_pk": objects["delivery"].pk, "uidb64": "MQ", "token": "set-password",
              "invoice_id": objects["invoice"].pk if objects.get("invoice") is not None else deal.pk,
              "shipment_id": deal.pk, "action": "issue",
              "act_id": objects["act"].pk if objects.get("act") is not None else deal.pk,
              "pk": by_route.get(name, world.pipeline.pk if name in pipeline_routes
                                 else world.source.pk if "dictionary" in name else deal.stage_id)}
    return {p: values[p] for p in params}


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_garbage_posts_never_answer_500(world, objects, role):
    """One test per role over every route (one world), so the replay stays fast."""
    user = getattr(world, role)
    http = HttpClient()
    for name, params in ROUTES:
        url = reverse(name, kwargs=_kwargs(name, params, world, objects))
        http.force_login(user)  # the logout route signs out
        for index, value in enumerate(GARBAGE):
            fields = LONG_FIELDS if value is LONG else FIELDS
            data = {field: value for field in fields}
            data["next"] = "1"
            headers = {"HTTP_HX_REQUEST": "true"} if index % 2 else {}
            response = http.post(url, data, **headers)
            assert response.status_code < 500, (name, role, value[:20], headers)
