"""No "coming soon" screens: /tasks/ sends to My day until the workplace issue builds it, and nothing links it."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_tasks_url_redirects_to_my_day(client, world):
    client.force_login(world.owner)
    response = client.get("/tasks/")
    assert response.status_code == 302 and response["Location"] == reverse("web:my_day")


def test_tasks_url_asks_for_sign_in_first(client):
    response = client.get("/tasks/")
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_no_page_links_the_tasks_url_or_says_coming_soon(client, world):
    client.force_login(world.head)
    for url in (reverse("web:my_day"), reverse("deals:list"), reverse("clients:list")):
        html = client.get(url).content.decode()
        assert 'href="/tasks/"' not in html and "Coming soon" not in html and "Скоро" not in html
