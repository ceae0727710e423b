"""The API root: ``/api/v1/...``, OpenAPI at ``/api/openapi.json``, docs at ``/api/docs`` (local assets)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger

from . import errors
from .auth import API_AUTH
from .idempotency import idempotent, settle
from .routers import catalog, clients, deals, people, reports, tasks


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
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # ninja's own swagger-ui files (``ninja`` in INSTALLED_APPS); no validator badge (an external request)
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
errors.install(api)
api.add_decorator(idempotent)
for module in (clients, deals, tasks, catalog, people, reports):
    api.add_router("/v1/", module.router)

urlpatterns = [*api.urls[0]]
app_name = "api"
