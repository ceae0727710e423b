"""Who may call the API: tokens (hashed, scoped, revocable), the session with CSRF, inactive users."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from tests.api.conftest import ApiClient, assert_problem
from tests.dbstate import unchanged
from tests.factories import make_client
from voronka.accounts.models import ApiToken
from voronka.accounts.services import create_api_token, revoke_api_token
from voronka.audit.models import AuditEntry
from voronka.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_no_token_is_401(world):
    response = ApiClient(None).get("clients")
    body = assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body["title"] == "Unauthorized"


def test_post_without_token_is_401_not_a_csrf_error(world):
    with unchanged():
        assert_problem(ApiClient(None).post("clients", {"name": "ООО Ромашка"}), 401, "unauthenticated")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer vrk_deadbeef_xyz", "Basic dXNlcjpwYXNz",
                                    "Bearer ", "Bearer vrk__", "Bearer " + "x" * 5000])
def test_bad_tokens_are_401(world, header):
    response = HttpClient().get("/api/v1/clients", HTTP_AUTHORIZATION=header)
    assert_problem(response, 401, "unauthenticated")


def test_token_with_a_wrong_secret_is_401(world, api):
    _token, raw = create_api_token(actor=world.owner, name="x", scope="read")
    forged = raw[: raw.rindex("_") + 1] + "A" * 43
    assert_problem(ApiClient(forged).get("clients"), 401)
    assert ApiClient(raw).get("clients").status_code == 200


def test_token_is_stored_hashed_and_shown_once(world):
    token, raw = create_api_token(actor=world.owner, name="1C", scope="write")
    assert raw.startswith(f"vrk_{token.prefix}_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.secret_hash, stored.prefix, stored.name)
    assert stored.secret_hash == ApiToken.hash_secret(raw) and len(stored.secret_hash) == 64
    assert AuditEntry.objects.filter(action="api_token.created").exists()


def test_bad_bearer_never_falls_back_to_the_session(world):
    http = HttpClient()
    http.force_login(world.owner)
    assert http.get("/api/v1/clients").status_code == 200
    assert_problem(http.get("/api/v1/clients", HTTP_AUTHORIZATION="Bearer wrong"), 401)


def test_read_token_cannot_write(world, api):
    reader = api(world.owner, "read")
    assert reader.get("clients").status_code == 200
    with unchanged():
        assert_problem(reader.post("clients", {"name": "ООО Ромашка"}), 403, "read_only_token")


def test_revoked_token_is_401(world, api):
    token, raw = create_api_token(actor=world.owner, name="x", scope="write")
    client = ApiClient(raw)
    assert client.get("users/me").status_code == 200
    revoke_api_token(actor=world.owner, token=token)
    assert_problem(client.get("users/me"), 401)
    assert AuditEntry.objects.filter(action="api_token.revoked").exists()


def test_token_of_an_inactive_user_is_401(world, api):
    client = api(world.owner)
    world.owner.is_active = False
    world.owner.save(update_fields=["is_active"])
    assert_problem(client.get("users/me"), 401)


def test_session_of_an_inactive_user_is_401(world):
    http = HttpClient()
    http.force_login(world.owner)
    world.owner.is_active = False
    world.owner.save(update_fields=["is_active"])
    assert_problem(http.get("/api/v1/users/me"), 401)


def test_last_used_at_is_recorded(world):
    token, raw = create_api_token(actor=world.owner, name="x")
    assert token.last_used_at is None
    before = timezone.now()
    ApiClient(raw).get("users/me")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at >= before


def test_users_me_answers_the_token_owner(world, api):
    body = api(world.teammate, "read").get("users/me").json()
    assert body["username"] == "teammate" and body["team"]["name"] == "Team A"


def test_session_writes_need_the_csrf_header(world):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(world.owner)
    with unchanged():
        response = http.post("/api/v1/clients", {"name": "ООО Без CSRF"}, content_type="application/json")
        assert_problem(response, 403, "csrf_failed")
    http.get("/account/tokens/")  # sets the CSRF cookie
    csrf = http.cookies["csrftoken"].value
    response = http.post("/api/v1/clients", {"name": "ООО С CSRF"}, content_type="application/json",
                         HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.content
    assert response.json()["responsible"]["username"] == "owner"


def test_session_reads_need_no_csrf(world):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(world.owner)
    make_client(world.owner, name="ООО Видно")
    assert [c["name"] for c in http.get("/api/v1/clients").json()["items"]] == ["ООО Видно"]


def test_analyst_cannot_create_a_write_token(world):
    with pytest.raises(DomainError) as exc:
        create_api_token(actor=world.analyst, name="x", scope="write")
    assert exc.value.field == "scope"


def test_nobody_revokes_another_users_token(world):
    token, _raw = create_api_token(actor=world.owner, name="x")
    with pytest.raises(DomainError):
        revoke_api_token(actor=world.teammate, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_rate_limit_answers_429_with_retry_after(world, api, settings):
    settings.VORONKA_API_RATE_PER_MINUTE = 3
    client = api(world.owner, "read")
    for _ in range(3):
        assert client.get("users/me").status_code == 200
    response = client.get("users/me")
    assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 61
    # the budget is per token: another token of the same user still works
    assert api(world.owner, "read").get("users/me").status_code == 200
