"""The authorization matrix: every route of the URLconf and every API operation of the OpenAPI schema, as
anonymous, manager, lead, analyst, head and admin, on objects inside and outside the user's scope.

Routes are enumerated from the resolver and the schema, so a new route is covered without editing this file;
a route without an access rule in ``tests/authz/rules.py`` fails ``test_every_route_has_an_access_rule``.

For each role the test asserts:
- anonymous: pages redirect to sign-in, API operations answer 401, nothing is written;
- no response body of the manager or the lead names the other team's client, contact, deal or task, nor
  shows the deal's amount or a link to those records;
- an object outside the scope answers 404 (pages and API) and a POST on it changes nothing in the database;
- a POST by anybody but an administrator to a settings route changes nothing;
- the analyst's POSTs change nothing (his own account aside);
- every GET and POST answers below 500.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client as HttpClient
from django.urls import resolve, reverse
from django.utils import timezone

from tests.authz import rules
from tests.factories import make_client, make_deal, task_spec
from tests.test_fuzz_routes import ROUTES
from tests.test_fuzz_routes import _kwargs as route_kwargs
from voronka.accounts.services import create_api_token
from voronka.activities.models import Task
from voronka.analytics.engine import list_reports
from voronka.api.urls import api
from voronka.billing.services import create_act, create_invoice
from voronka.catalog.models import CustomFieldDefinition
from voronka.clients.services import add_contact
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.services import create_subscription, send_test_event

pytestmark = pytest.mark.django_db

REPORT_NAMES = sorted(report.name for report in list_reports())  # the registry, loaded

ROLES = ["owner", "lead", "analyst", "head", "admin"]
SCOPED_ROLES = {"owner", "lead"}  # roles that must not see the other team's records
FOREIGN_AMOUNT = 7341529
MARK = "ZZ9"  # every foreign name carries it; every write the matrix attempts carries "ZZ-ВЗЛОМ"

# Rows that legitimately change on any request: sign-in bookkeeping, rate limits, token use.
VOLATILE_MODELS = {"accounts.IdempotencyKey", "sessions.Session"}
VOLATILE_FIELDS = {"last_login", "last_used_at", "last_seen_at"}
AUTH_ACTIONS = re.compile(r"^(auth|login|logout|signin|sign_in|session)", re.I)


@dataclass
class Objects:
    mine_client: Any
    mine_deal: Any
    mine_task: Any
    foreign_client: Any
    foreign_contact: Any
    foreign_deal: Any
    foreign_task: Any
    foreign_token: Any
    definition: Any
    webhook: Any
    delivery: Any
    lead_form: Any
    foreign_state: tuple = ()
    mine_invoice: Any = None
    foreign_invoice: Any = None
    mine_act: Any = None
    foreign_act: Any = None

    def markers(self) -> list[str]:
        return [self.foreign_client.name, self.foreign_contact.name, self.foreign_deal.title,
                self.foreign_task.title, f"/deals/{self.foreign_deal.pk}/", f"/clients/{self.foreign_client.pk}/",
                f"/tasks/{self.foreign_task.pk}/"]


@pytest.fixture
def objects(world) -> Objects:
    mine_client = make_client(world.owner, name="ООО Своя")
    mine_deal = make_deal(world.owner, world.pipeline, client=mine_client, values={"amount": "1000"})
    foreign_client = make_client(world.outsider, name=f"ООО {MARK}Чужой клиент")
    contact = add_contact(actor=world.outsider, client=foreign_client, name=f"{MARK}Чужой контакт",
                          phone="+7 999 765-43-21")
    foreign_deal = make_deal(world.outsider, world.pipeline, client=foreign_client, title=f"{MARK}Чужая сделка",
                             values={"amount": str(FOREIGN_AMOUNT)},
                             first_task=task_spec(title=f"{MARK}Чужая задача"))
    token, _raw = create_api_token(actor=world.outsider, name=f"{MARK}token", scope="write")
    mine_invoice = create_invoice(actor=world.owner, deal=mine_deal)
    foreign_invoice = create_invoice(actor=world.outsider, deal=foreign_deal)
    mine_act = create_act(actor=world.owner, deal=mine_deal)
    foreign_act = create_act(actor=world.outsider, deal=foreign_deal)
    found = Objects(
        mine_client=mine_client, mine_deal=mine_deal, mine_task=Task.objects.get(deal=mine_deal),
        foreign_client=foreign_client, foreign_contact=contact, foreign_deal=foreign_deal,
        foreign_task=Task.objects.get(deal=foreign_deal), foreign_token=token,
        definition=CustomFieldDefinition.objects.create(entity="deal", key="x", label="X", field_type="number"),
        **_integration_objects(world), mine_invoice=mine_invoice, foreign_invoice=foreign_invoice,
        mine_act=mine_act, foreign_act=foreign_act,
    )
    found.foreign_state = _foreign_rows(found)
    return found


def _integration_objects(world) -> dict[str, Any]:
    webhook = create_subscription(actor=world.admin, name="W", target_url="http://127.0.0.1:9/", event_types=["*"])
    return {"webhook": webhook, "delivery": send_test_event(actor=world.admin, subscription=webhook),
            "lead_form": save_lead_form(actor=world.admin, slug="site", title="Site", pipeline=world.pipeline,
                                        assign_mode="fixed", assignee=world.owner)}


# -- the database, whole ------------------------------------------------------------------------------

def _models():
    for model in apps.get_models():
        if model._meta.label in VOLATILE_MODELS or model._meta.proxy:
            continue
        if model.__module__.startswith(("voronka.", "django.contrib.auth", "django_otp")):
            yield model


def database() -> dict[str, list]:
    """Every row of every Voronka table (the test world is small), without the sign-in bookkeeping."""
    state = {}
    for model in _models():
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE_FIELDS]
        rows = model.objects.order_by("pk").values_list(*fields)
        if model._meta.label == "audit.AuditEntry":
            action = fields.index("action") if "action" in fields else None
            rows = [r for r in rows if action is None or not AUTH_ACTIONS.match(str(r[action]))]
        state[model._meta.label] = list(rows)
    return state


def _diff(before: dict, after: dict) -> dict:
    return {label: (len(before[label]), len(after[label])) for label in before if before[label] != after[label]}


# -- the requests -------------------------------------------------------------------------------------

def _route_kwargs(name: str, params: list[str], world, objects: Objects, *, foreign: bool) -> dict:
    """The fuzz replay's URL parameters, with the deal, client and task inside or outside the scope."""
    deal = objects.foreign_deal if foreign else objects.mine_deal
    task = objects.foreign_task if foreign else objects.mine_task
    kwargs = route_kwargs(name, params, world, {
        "deal": deal, "task": task, "definition": objects.definition, "webhook": objects.webhook,
        "delivery": objects.delivery, "lead_form": objects.lead_form,
        "invoice": objects.foreign_invoice if foreign else objects.mine_invoice,
        "act": objects.foreign_act if foreign else objects.mine_act})
    if name == "accounts:api_token_revoke":
        kwargs["pk"] = objects.foreign_token.pk
    return kwargs


def _object_route(params: list[str]) -> bool:
    return bool({"deal_id", "client_id", "task_id"} & set(params))


def _payload(world, objects: Objects, actor) -> dict[str, Any]:
    """A form that would write to the foreign records if a check were missing: valid values, foreign ids."""
    deal, client = objects.foreign_deal, objects.foreign_client
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    next_stage = world.pipeline.stages.exclude(pk=deal.stage_id).order_by("position").first()
    return {
        "title": "ZZ-ВЗЛОМ", "name": "ZZ-ВЗЛОМ", "body": "ZZ-ВЗЛОМ", "comment": "ZZ-ВЗЛОМ",
        "contact_name": "ZZ-ВЗЛОМ", "task_title": "ZZ-ВЗЛОМ", "next_title": "ZZ-ВЗЛОМ",
        "amount": "5", "value": "5", "version": str(deal.version), "stage": str(next_stage.pk),
        "outcome": "result", "kind": "call", "task_kind": "call", "due_date": tomorrow, "task_due_date": tomorrow,
        "next_due_date": tomorrow, "postpone_to": tomorrow, "deal": str(deal.pk), "client": str(client.pk),
        "existing_client": str(client.pk), "task": str(objects.foreign_task.pk), "owner": str(actor.pk),
        "assignee": str(actor.pk), "responsible": str(actor.pk), "lost_reason": str(world.reason.pk),
        "open_deals": "lose", "pipeline": str(world.other_pipeline.pk), "phone": "+79990001122",
        "email": "zz@example.com", "inn": "7707083893", "q": "", "expected_close_date": tomorrow,
        "role": "admin", "team": str(world.other_team.pk), "is_active": "on", "username": "zzhack",
        "password": "Zz-long-enough-9!", "password1": "Zz-long-enough-9!", "password2": "Zz-long-enough-9!",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-product": str(world.product.pk),
        "lines-0-quantity": "1", "lines-0-price": "5",
    }


def _signed_in(user) -> HttpClient:
    """A browser that checks CSRF, holding a valid CSRF cookie (as after any page with a form)."""
    http = HttpClient(enforce_csrf_checks=True)
    if user is not None:
        http.force_login(user)
    http.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    return http


def _csrf(http: HttpClient) -> str:
    return http.cookies[settings.CSRF_COOKIE_NAME].value


def _csrf_refusal(response) -> bool:
    """Django's CSRF failure page (English or Russian)."""
    text = _body(response).decode("utf-8", "replace")
    return "CSRF verification failed" in text or "Ошибка проверки CSRF" in text


def _post(http: HttpClient, url: str, data: dict) -> Any:
    token = _csrf(http)
    return http.post(url, {**data, "csrfmiddlewaretoken": token}, HTTP_X_CSRFTOKEN=token)


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _leaks(response, objects: Objects) -> list[str]:
    text = _body(response).decode("utf-8", "replace")
    found = [marker for marker in objects.markers() if marker in text]
    digits = re.sub(r"[\s\u00a0\u202f\u2009,.'’]", "", text)
    if str(FOREIGN_AMOUNT) in digits:
        found.append(f"amount {FOREIGN_AMOUNT}")
    return found


def _page_routes():
    return [(name, params) for name, params in ROUTES if not name.startswith("api:")]


def _report_names(name: str) -> list[str]:
    return REPORT_NAMES if name in ("analytics:report", "analytics:export") else ["funnel"]


def _report(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


# -- the tests ----------------------------------------------------------------------------------------

def _api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted((method.upper(), path) for path, methods in schema["paths"].items() for method in methods)


def test_every_route_has_an_access_rule():
    pages = {name for name, _params in _page_routes()}
    operations = {f"{method} {path}" for method, path in _api_operations()}
    assert {name for name in pages if rules.page_rule(name) is None} == set(), "routes without an access rule"
    assert set(rules.PAGES) - pages == set(), "rules of routes that no longer exist"
    assert operations - set(rules.API_RULES) == set(), "API operations without an access rule"
    assert set(rules.API_RULES) - operations == set(), "rules of API operations that no longer exist"


def test_anonymous_is_sent_to_sign_in_and_writes_nothing(world, objects):
    http = _signed_in(None)
    login = reverse("web:login")
    checked = 0
    for name, params in _page_routes():
        url = reverse(name, kwargs=_route_kwargs(name, params, world, objects, foreign=False))
        before = database()
        get = http.get(url)
        post = _post(http, url, _payload(world, objects, world.owner))
        checked += 2
        if rules.page_rule(name) == rules.PUBLIC:  # sign-in, web forms: they may write (a submission log)
            assert get.status_code < 500 and post.status_code < 500, name
            continue
        assert _diff(before, database()) == {}, name
        for response in (get, post):
            assert response.status_code in (302, 401, 403, 405), (name, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith(login), (name, response["Location"])
            assert not _leaks(response, objects), name
    before = database()
    for method, path in _api_operations():
        url = _api_url(path, world, objects, foreign=False)
        response = http.generic(method, url, json.dumps({}), content_type="application/json")
        checked += 1
        assert response.status_code == 401, (method, path, response.status_code)
    assert _diff(before, database()) == {}
    assert checked > 150


@pytest.mark.parametrize("role", ROLES)
def test_pages_matrix(world, objects, role):
    """Every page route, GET and POST (with a valid CSRF token), inside and outside the role's scope."""
    user = getattr(world, role)
    scoped = role in SCOPED_ROLES
    failures: list[str] = []
    requests = 0
    for name, params in _page_routes():
        rule = rules.page_rule(name)
        invoice_route = name.startswith(("billing:invoice", "billing:act_")) or name == "billing:payment_add"
        variants = [False, True] if _object_route(params) or invoice_route or name == "accounts:api_token_revoke" \
            else [False]
        for foreign in variants:
            for report in _report_names(name):
                kwargs = _route_kwargs(name, params, world, objects, foreign=foreign)
                if "name" in kwargs:
                    kwargs["name"] = report
                url = reverse(name, kwargs=kwargs)
                http = _signed_in(user)
                cache.clear()  # rate limits of lookups are not what this test measures
                get = http.get(url)
                requests += 1
                outside = foreign and (scoped or name == "accounts:api_token_revoke")
                failures += _check_get(name, url, get, objects, role=role, rule=rule, outside=outside,
                                       scoped=scoped)
                if name == "web:logout":
                    continue
                before = database()
                post = _post(http, url, _payload(world, objects, user))
                requests += 1
                failures += _check_post(name, url, post, objects, before, role=role, rule=rule, outside=outside,
                                        scoped=scoped)
    _report(failures)
    assert requests > 150


def _check_get(name, url, response, objects, *, role, rule, outside, scoped) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"GET {url} ({name}) as {role}: {response.status_code}")
    if scoped and (leaks := _leaks(response, objects)):
        problems.append(f"GET {url} ({name}) as {role} shows {leaks}")
    if outside and response.status_code not in (404, 405):  # 405: a POST-only route, whatever the object
        problems.append(f"GET {url} ({name}) as {role} outside the scope: {response.status_code}, not 404")
    if rule == rules.ADMIN and role != "admin" and response.status_code not in (403, 404):
        problems.append(f"GET {url} ({name}) as {role}: {response.status_code}, not refused")
    return problems


def _check_post(name, url, response, objects, before, *, role, rule, outside, scoped) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"POST {url} ({name}) as {role}: {response.status_code}")
    if response.status_code == 403 and _csrf_refusal(response):
        problems.append(f"POST {url} ({name}) as {role}: refused by CSRF (the matrix sends a valid token)")
    if scoped and (leaks := _leaks(response, objects)):
        problems.append(f"POST {url} ({name}) as {role} shows {leaks}")
    must_not_write = (outside or (rule == rules.ADMIN and role != "admin")
                      or (role == "analyst" and rule not in (rules.SELF, rules.PUBLIC)))
    if must_not_write:
        if changed := _diff(before, database()):
            problems.append(f"POST {url} ({name}) as {role} wrote {changed}")
    elif scoped and _foreign_rows(objects) != objects.foreign_state:
        problems.append(f"POST {url} ({name}) as {role} changed the other team's records")
    return problems


def _foreign_rows(objects: Objects) -> tuple:
    deal_model = type(objects.foreign_deal)
    client_model = type(objects.foreign_client)
    deal = objects.foreign_deal.pk
    client = objects.foreign_client.pk
    return (
        list(deal_model.objects.filter(client_id=client).order_by("pk").values()),
        list(client_model.objects.filter(pk=client).values()),
        list(Task.objects.filter(deal_id=deal).order_by("pk").values()),
        list(Task.objects.filter(client_id=client).order_by("pk").values()),
        list(type(objects.foreign_contact).objects.filter(client_id=client).order_by("pk").values()),
        list(apps.get_model("activities", "Activity").objects.filter(deal_id=deal).values_list("pk", flat=True)),
        list(apps.get_model("deals", "DealLine").objects.filter(deal_id=deal).values_list("pk", flat=True)),
    )


# -- the API ------------------------------------------------------------------------------------------

def _api_url(path: str, world, objects: Objects, *, foreign: bool, report: str = "funnel") -> str:
    deal = objects.foreign_deal if foreign else objects.mine_deal
    task = objects.foreign_task if foreign else objects.mine_task
    values = {"deal_id": deal.pk, "client_id": deal.client_id, "task_id": task.pk, "user_id": world.owner.pk,
              "pipeline_id": world.pipeline.pk, "kind": "sources", "name": report, "stage_id": deal.stage_id,
              "webhook_id": objects.webhook.pk, "delivery_id": objects.delivery.pk,
              "invoice_id": (objects.foreign_invoice if foreign else objects.mine_invoice).pk,
              "shipment_id": deal.pk, "act_id": (objects.foreign_act if foreign else objects.mine_act).pk}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _api_body(world, objects: Objects, actor, path: str = "") -> dict[str, Any]:
    deal, client = objects.foreign_deal, objects.foreign_client
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    next_stage = world.pipeline.stages.exclude(pk=deal.stage_id).order_by("position").first()
    return {
        "title": "ZZ-ВЗЛОМ", "name": "ZZ-ВЗЛОМ", "body": "ZZ-ВЗЛОМ", "comment": "ZZ-ВЗЛОМ", "number": "ZZ-ВЗЛОМ",
        "status": "shipped", "version": deal.version, "stage": next_stage.pk, "stage_id": next_stage.pk, "amount": "5",
        "outcome": "result", "kind": "call", "due_date": tomorrow, "postpone_to": tomorrow,
        "deal": deal.pk, "deal_id": deal.pk, "client": client.pk, "client_id": client.pk,
        "owner": actor.pk, "owner_id": actor.pk, "assignee": actor.pk, "responsible": actor.pk,
        "lost_reason": world.reason.pk, "pipeline": world.other_pipeline.pk,
        "pipeline_id": world.pipeline.pk, "first_task": {"title": "ZZ-ВЗЛОМ", "kind": "call", "due_date": tomorrow},
        "next_task": {"title": "ZZ-ВЗЛОМ", "kind": "call", "due_date": tomorrow},
        "task": {"title": "ZZ-ВЗЛОМ", "kind": "call", "due_date": tomorrow}, "to": tomorrow,
        "values": {"amount": "5"}, "phone": "+79990001122",
        "target_url": "http://127.0.0.1:9/zz", "event_types": ["*"], "stage_ids": [next_stage.pk],
        "is_active": False, "is_archived": True, "max_days": 3,
        **({"kind": "company"} if path.startswith("/api/v1/clients") and "timeline" not in path else {}),
        **({"kind": "custom"} if path.startswith("/api/v1/pipelines") else {}),
        **({"status": "issued"} if path.startswith("/api/v1/acts") else {}),
    }


@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(world, objects, role):
    """Every operation of the OpenAPI schema with the role's token, inside and outside its scope."""
    user = getattr(world, role)
    scoped = role in SCOPED_ROLES
    _token, raw = create_api_token(actor=user, name="matrix", scope="read" if role == "analyst" else "write")
    http = HttpClient()
    failures: list[str] = []
    requests = 0
    for method, path in _api_operations():
        rule = rules.API_RULES[f"{method} {path}"]
        for foreign in ([False, True] if rule == rules.OBJECT else [False]):
            reports = REPORT_NAMES if path.endswith("{name}") else ["funnel"]
            for report in reports:
                url = _api_url(path, world, objects, foreign=foreign, report=report)
                cache.clear()
                before = database() if method != "GET" else None
                body = json.dumps(_api_body(world, objects, user, path)) if method != "GET" else None
                response = http.generic(method, url, body or "", content_type="application/json",
                                        HTTP_AUTHORIZATION=f"Bearer {raw}")
                requests += 1
                outside = foreign and scoped
                where = f"{method} {url} as {role}"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.status_code}")
                if scoped and (leaks := _leaks(response, objects)):
                    failures.append(f"{where} shows {leaks}")
                if outside and response.status_code != 404:
                    failures.append(f"{where} outside the scope: {response.status_code}, not 404")
                refused = rule == rules.ADMIN and role != "admin"
                if refused and response.status_code not in (403, 404):
                    failures.append(f"{where}: {response.status_code}, not refused")
                if before is not None and (outside or refused or role == "analyst"):
                    if changed := _diff(before, database()):
                        failures.append(f"{where} wrote {changed}")
                elif before is not None and scoped and _foreign_rows(objects) != objects.foreign_state:
                    failures.append(f"{where} changed the other team's records")
    _report(failures)
    assert requests > 40


# -- read-only roles ----------------------------------------------------------------------------------

POST_TARGETS = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*method="post"'
                          r'|hx-post="([^"]+)"')
LINKS = re.compile(r'(?:href|hx-get)="(/[^"#?]*)')


def test_read_only_roles_see_no_write_controls(world, objects):
    """The analyst is shown no form that writes (his own account aside) and no link to a write dialog; the
    write dialogs themselves answer 403 to him."""
    http = HttpClient()
    http.force_login(world.analyst)
    refused: set[str] = set()
    pages: dict[str, str] = {}
    for name, params in _page_routes():
        if rules.page_rule(name) not in (rules.SIGNED_IN, rules.OBJECT):
            continue
        url = reverse(name, kwargs=_route_kwargs(name, params, world, objects, foreign=False))
        response = http.get(url)
        if response.status_code == 403:
            refused.add(url)
        elif response.status_code == 200 and not getattr(response, "streaming", False):
            pages[name] = response.content.decode()
    problems = []
    for name, html in pages.items():
        for match in POST_TARGETS.finditer(html):
            target = next(group for group in match.groups() if group)
            route = resolve(target.split("?")[0])
            if rules.page_rule(route.view_name) not in (rules.SELF, rules.PUBLIC):
                problems.append(f"{name} shows the analyst a form posting to {target}")
        problems += [f"{name} links the analyst to {link}" for link in LINKS.findall(html) if link in refused]
    assert problems == []
    assert len(refused) >= 15  # the edit dialogs, the task dialogs, quick add, bulk reassign
    assert len(pages) >= 12
