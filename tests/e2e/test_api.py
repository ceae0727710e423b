"""The API in a real browser: a token created in the user menu (shown once, then revoked), the docs page with
local assets only, and the UI's session calling the API with its CSRF token."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_token_is_created_shown_once_used_and_revoked(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    page.locator("details.usermenu summary").click()
    page.locator("details.usermenu a[href='/account/tokens/']").click()
    expect(page.locator("h1")).to_be_visible()
    page.fill("#token-name", "Выгрузка в 1С")
    page.select_option("#token-scope", "read")
    page.locator("form.inline-form button[type=submit]").click()
    raw = page.get_by_test_id("new-token").input_value()
    assert raw.startswith("vrk_")
    assert_accessible(page)
    screenshot(page, "api-token-created")

    api = page.context.request
    me = api.get(f"{live_server.url}/api/v1/users/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status == 200 and me.json()["username"] == "manager1"
    write = api.post(f"{live_server.url}/api/v1/clients", data={"name": "ООО Через токен"},
                     headers={"Authorization": f"Bearer {raw}"})
    assert write.status == 403 and write.json()["code"] == "read_only_token"

    page.goto(f"{live_server.url}/account/tokens/")
    assert raw not in page.content()  # shown once
    expect(page.locator("table")).to_contain_text("Выгрузка в 1С")
    page.locator("td.row-actions button").first.click()
    expect(page.locator("td.row-actions button")).to_have_count(0)  # revoked: no button any more
    gone = api.get(f"{live_server.url}/api/v1/users/me", headers={"Authorization": f"Bearer {raw}"})
    assert gone.status == 401 and gone.headers["content-type"].startswith("application/problem+json")


def test_docs_page_loads_nothing_from_outside(page, live_server, e2e_data):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() >= 30
    screenshot(page, "api-docs")
    origin = urlparse(live_server.url).netloc
    outside = [url for url in requested if urlparse(url).scheme in ("http", "https")
               and urlparse(url).netloc != origin]
    assert outside == [], outside
    assert any(url.endswith("/api/openapi.json") for url in requested)


def test_the_ui_session_writes_through_the_api_with_csrf(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/my-day/")
    result = page.evaluate("""async () => {
        const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
        const post = (headers) => fetch('/api/v1/clients', {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', ...headers},
            body: JSON.stringify({name: 'ООО Из браузера'})});
        const without = await post({});
        const withToken = await post({'X-CSRFToken': csrf});
        return [without.status, withToken.status, (await withToken.json()).responsible.username];
    }""")
    assert result == [403, 201, "manager1"]
