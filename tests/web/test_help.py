"""The in-app user guide: every section for every role, the "?" of each screen, sign-in, both languages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import make_deal
from voronka.web.guide import SECTIONS, section_for

pytestmark = pytest.mark.django_db
ROLES = ["owner", "lead", "head", "admin", "analyst"]
HELP_LINK = re.compile(r'<a class="help-link" href="([^"]+)"')


def _help_href(response) -> str:
    match = HELP_LINK.search(response.content.decode())
    assert match, "no ? link in the top bar"
    return match.group(1)


@pytest.mark.parametrize("role", ROLES)
def test_every_section_answers_200_for_every_role(client, world, role):
    client.force_login(getattr(world, role))
    urls = [reverse("web:help")] + [reverse("web:help_section", args=[s.slug]) for s in SECTIONS]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["role"] == ("admin" if role == "admin" else getattr(world, role).role)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", {"index": "Три правила", "board": "Пометки на карточке", "settings": "Инструкция воронки"}),
    ("en", {"index": "Three rules", "board": "Card flags", "settings": "Pipeline instructions"}),
])
def test_the_guide_is_written_in_the_users_language(client, world, language, words):
    client.force_login(world.owner)
    client.cookies["django_language"] = language
    for slug, word in words.items():
        url = reverse("web:help") if slug == "index" else reverse("web:help_section", args=[slug])
        body = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert word in body, (language, slug)


def test_the_start_page_describes_each_role(client, world):
    client.force_login(world.owner)
    body = client.get(reverse("web:help"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for role in ("manager", "lead", "head", "admin"):
        assert f'data-role="{role}"' in body


def test_an_unknown_section_is_404(client, world):
    client.force_login(world.owner)
    assert client.get("/help/no-such-screen/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    for url in ("/help/", "/help/board/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


def test_the_guide_is_read_only(client, world):
    client.force_login(world.admin)
    assert client.post("/help/board/").status_code == 405


@pytest.mark.parametrize(("url_name", "section"), [
    ("web:my_day", "my-day"), ("web:home", "my-day"), ("deals:board_default", "board"), ("deals:board", "board"),
    ("deals:detail", "deal"), ("deals:list", "deals"), ("clients:detail", "client"), ("clients:list", "client"),
    ("clients:quick_add", "quick-add"), ("activities:list", "tasks"), ("analytics:report", "reports"),
    ("plans:grid", "reports"), ("settings:pipeline", "settings"), ("settings:users", "settings"),
    ("web:search", None), (None, None),
])
def test_a_screen_maps_to_its_section(url_name, section):
    assert section_for(url_name) == section


def test_every_mapped_section_exists():
    from voronka.web.guide import BY_SLUG, NAMESPACE_SECTIONS, URL_SECTIONS
    assert set(URL_SECTIONS.values()) | set(NAMESPACE_SECTIONS.values()) <= set(BY_SLUG)


def test_the_question_mark_of_each_main_screen_opens_its_section(client, world):
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    screens = {
        reverse("web:my_day"): "my-day",
        reverse("deals:board", args=[world.pipeline.slug]): "board",
        reverse("deals:detail", args=[deal.pk]): "deal",
        reverse("deals:list"): "deals",
        reverse("clients:detail", args=[deal.client_id]): "client",
        reverse("clients:list"): "client",
        reverse("clients:quick_add"): "quick-add",
        reverse("analytics:index"): "reports",
    }
    for url, section in screens.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert _help_href(response) == reverse("web:help_section", args=[section]), url


def test_the_question_mark_of_settings_and_of_other_pages(client, world):
    client.force_login(world.admin)
    assert _help_href(client.get(reverse("settings:pipelines"))) == reverse("web:help_section", args=["settings"])
    assert _help_href(client.get(reverse("web:search") + "?q=x")) == reverse("web:help")


def test_the_guide_costs_no_query_beyond_the_shell(client, world, django_assert_max_num_queries):
    client.force_login(world.owner)
    client.get("/help/board/")
    with django_assert_max_num_queries(6):
        assert client.get("/help/board/").status_code == 200


@pytest.mark.parametrize(("who", "role"), [("owner", "manager"), ("lead", "lead"), ("head", "head"),
                                           ("admin", "admin"), ("analyst", "analyst")])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_start_page_highlights_the_users_own_role(client, world, who, role, language):
    client.force_login(getattr(world, who))
    client.cookies["django_language"] = language
    html = client.get(reverse("web:help")).content.decode()
    mine = re.findall(r'<section class="help-role is-my-role" id="role-(\w+)" data-role="\1" aria-current="true">',
                      html)
    assert mine == [role]
    assert html.count('data-testid="my-role"') == 1
    assert f'href="#role-{role}"' in html
