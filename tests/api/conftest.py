"""An HTTP client of the API with a personal token: ``api(user, scope="write")``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from voronka.accounts.services import create_api_token


class ApiClient:
    """The Django test client speaking JSON with ``Authorization: Bearer``."""

    def __init__(self, raw: str | None) -> None:
        self.http = HttpClient()
        self.raw = raw

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = {"HTTP_AUTHORIZATION": f"Bearer {self.raw}"} if self.raw else {}
        for key, value in (headers or {}).items():
            out["HTTP_" + key.upper().replace("-", "_")] = value
        return out

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        return self.http.get(_url(path), params or {}, **self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.http.post(_url(path), data, content_type="application/json", **self._headers(headers))

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.http.patch(_url(path), data, content_type="application/json", **self._headers(headers))


def _url(path: str) -> str:
    return path if path.startswith(("/", "http")) else f"/api/v1/{path}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate-limit counters live in the cache
    yield
    cache.clear()


@pytest.fixture
def api(world):
    """``api(user, scope)``: a client with a new token of ``user``."""

    def make(user, scope: str = "write") -> ApiClient:
        _token, raw = create_api_token(actor=user, name=f"test {scope}", scope=scope)
        return ApiClient(raw)

    return make


def assert_problem(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "code", "field", "fields", "errors"} <= set(body)
    assert body["type"].startswith("urn:voronka:problem:")
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert field in body["fields"] or body["field"] == field, body
    return body
