"""No "coming soon" screens: /tasks/ is the task section (tests/activities/test_task_section.py), linked in the
top bar; no page says "coming soon"."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_tasks_url_is_a_real_page(client, world):
    client.force_login(world.owner)
    response = client.get("/tasks/")
    assert response.status_code == 200 and response.context["nav"] == "tasks"


def test_tasks_url_asks_for_sign_in_first(client):
    response = client.get("/tasks/")
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_every_page_links_the_task_section_and_none_says_coming_soon(client, world):
    client.force_login(world.head)
    for url in (reverse("web:my_day"), reverse("deals:list"), reverse("clients:list")):
        html = client.get(url).content.decode()
        assert 'href="/tasks/"' in html and "Coming soon" not in html and "Скоро" not in html
