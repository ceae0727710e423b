"""The API root: ``/api/v1/...``, OpenAPI at ``/api/openapi.json``, docs at ``/api/docs`` (local assets)."""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.parser import Parser

from . import errors
from .auth import API_AUTH
from .idempotency import idempotent, settle
from .routers import billing, catalog, clients, deals, people, reports, tasks, timeline, webhooks


class ObjectParser(Parser):
    """Request bodies are JSON objects: a list, a string or ``null`` is a 400 (ninja would read some as empty)."""

    def parse_body(self, request: HttpRequest):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


class VoronkaAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Error answers are documented as what they are: ``application/problem+json``."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for methods in schema["paths"].values():
            for op in methods.values():
                for status, response in op.get("responses", {}).items():
                    content = response.get("content") or {}
                    if str(status).startswith(("4", "5")) and "application/json" in content:
                        content[errors.PROBLEM_TYPE] = content.pop("application/json")
        return schema

    def create_response(self, request: HttpRequest, data, *, status: int | None = None,
                        temporal_response: HttpResponse | None = None) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        settle(request, response)
        return response


api = VoronkaAPI(
    title="Voronka API",
    version="1",
    description="The sales CRM's REST API: the same rules as the UI (scope, required fields, tasks, audit). "
                "Authenticate with a personal token (`Authorization: Bearer vrk_...`, created in the user menu "
                "› API tokens) or the browser session (writes need `X-CSRFToken`). Errors are RFC 9457 "
                "problem JSON. See docs/api.md.",
    auth=API_AUTH,
    parser=ObjectParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # ninja's own swagger-ui files (``ninja`` in INSTALLED_APPS); no validator badge (an external request)
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
errors.install(api)
api.add_decorator(idempotent)
for module in (clients, deals, tasks, timeline, catalog, people, reports, webhooks, billing):
    api.add_router("/v1/", module.router)


def not_found(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/: a problem JSON 404, not the HTML page."""
    return errors.problem_response(status=404, detail=_("No such API endpoint."), code="not_found")


def _problem_on_405(view):
    """ninja answers a method a path does not take with a plain-text 405: make it a problem too."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(errors.PROBLEM_TYPE):
            problem = errors.problem_response(status=405, detail=_("This method is not allowed here."),
                                              code="method_not_allowed")
            problem["Allow"] = response.get("Allow", "")
            return problem
        return response

    return wrapped


urlpatterns = [
    *(path(str(p.pattern), _problem_on_405(p.callback), name=p.name) for p in api.urls[0] if p.name != "api-root"),
    path("", not_found, name="api-root"),  # ninja reverses the name for its root path
    re_path(r"^.*$", not_found),  # unnamed: nothing links to it
]
app_name = "api"
