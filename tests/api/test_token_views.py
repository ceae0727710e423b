"""The user's API tokens page: create (shown once), list, revoke; another user's token is 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from tests.api.conftest import ApiClient
from voronka.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def _signed_in(user):
    http = HttpClient()
    http.force_login(user)
    return http


def test_create_shows_the_token_once_and_it_works(world):
    http = _signed_in(world.owner)
    response = http.post("/account/tokens/", {"name": "Скрипт выгрузки", "scope": "write"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = re.search(r'value="(vrk_[0-9a-f]{8}_[A-Za-z0-9_-]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=world.owner)
    assert (token.name, token.scope) == ("Скрипт выгрузки", "write")
    assert ApiClient(raw).get("users/me").json()["username"] == "owner"
    listing = http.get("/account/tokens/").content.decode()
    assert raw not in listing and f"vrk_{token.prefix}_" in listing and "Скрипт выгрузки" in listing


def test_create_without_a_name_is_a_field_error(world):
    response = _signed_in(world.owner).post("/account/tokens/", {"name": " ", "scope": "read"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    assert 'aria-invalid="true"' in response.content.decode()


def test_bad_scope_is_refused(world):
    response = _signed_in(world.owner).post("/account/tokens/", {"name": "x", "scope": "admin"})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_revoke_from_the_page(world):
    http = _signed_in(world.owner)
    http.post("/account/tokens/", {"name": "x", "scope": "read"})
    token = ApiToken.objects.get()
    response = http.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_users_token_is_404(world):
    _signed_in(world.owner).post("/account/tokens/", {"name": "x", "scope": "read"})
    token = ApiToken.objects.get()
    assert _signed_in(world.outsider).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_page_needs_sign_in_and_lists_only_own_tokens(world):
    assert HttpClient().get("/account/tokens/").status_code == 302
    _signed_in(world.owner).post("/account/tokens/", {"name": "Токен владельца", "scope": "read"})
    with translation.override("en"):
        page = _signed_in(world.teammate).get("/account/tokens/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Токен владельца" not in page.content.decode()


def test_user_menu_links_to_the_page(world):
    assert 'href="/account/tokens/"' in _signed_in(world.owner).get("/my-day/").content.decode()
