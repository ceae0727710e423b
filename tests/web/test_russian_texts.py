"""Russian that reads as written by a person: the main pages rendered in Russian contain none of the known
bad forms (wrong plural, English leftovers, capitalised month abbreviations, a bare «из максимум N»), and
every msgid has a translation."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import make_client, make_deal, task_spec
from voronka.activities.services import create_task

pytestmark = pytest.mark.django_db

BAD = {
    "plural of 1": re.compile(r"(?<![\d,.])(?:\d*[02-9])?1 (?:дней|дня)\b"),
    "plural of 2-4": re.compile(r"(?<![\d,.])(?:\d*[02-9])?[2-4] (?:дней|день)\b"),
    "plural of 5-20": re.compile(r"(?<![\d,.])(?:1\d|[5-9]|\d*[02-9][05-9]) (?:дня|день)\b"),
    "bare maximum": re.compile(r"из максимум \d+(?!\s*(?:дн|ден|д\b))"),
    "closed deal maximum": re.compile(r"—\s*из максимум"),
    "capital month": re.compile(r"\d (?:Янв|Фев|Мар|Апр|Мая|Июн|Июл|Авг|Сен|Окт|Ноя|Дек)\b"),
    "dot decimals in money": re.compile(r"\d[\s\u00a0\u202f]?\d{3}\.\d\d\s?₽|\d\.\d\d\s?₽"),
    "comma groups in money": re.compile(r"\d,\d{3}(?:[,.]\d+)*\s?₽"),
    "currency code after an amount": re.compile(r"\d\s(?:RUB|руб\.?)(?!\w)"),
    "abbreviated days": re.compile(r"\d\s(?:дн\.|д)(?=\s|$)"),
    "long duration style": re.compile(r"\d (?:час(?:а|ов)?|минут[аы]?|недел[ьяи]),"),
    "English word": re.compile(r"\b(?:overdue|today|days?|Due|Complete|Tasks?|Deals?|Owner|Amount)\b"),
}


def visible_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?s)<[^>]+>", " ", markup)
    return re.sub(r"\s+", " ", html.unescape(markup))


def bad_forms(text: str) -> dict[str, list[str]]:
    return {name: sorted(set(pattern.findall(text)))[:5] for name, pattern in BAD.items() if pattern.search(text)}


def test_the_patterns_catch_the_known_bad_forms():
    assert bad_forms("просрочено 1 дней · 3 дней · 5 дня · сб, 21 Ноя · — из максимум 1 · overdue")
    assert set(bad_forms("1 дней 3 дней 5 дня 21 Ноя из максимум 1 overdue")) >= {
        "plural of 1", "plural of 2-4", "plural of 5-20", "capital month", "bare maximum", "English word"}
    assert set(bad_forms("1 250 000.50 ₽ · 1,250,000 ₽ · 500 RUB")) >= {
        "dot decimals in money", "comma groups in money", "currency code after an amount"}
    assert set(bad_forms("5 дн. · 3 д 4 ч · 6 часов, 50 минут")) >= {"abbreviated days", "long duration style"}
    assert not bad_forms("1\u00a0250\u00a0000,50\u00a0₽ · 300\u00a0000\u00a0₽")
    assert not bad_forms("1 день · 3 дня · 5 дней · 11 дней · 21 день · 22 дня · сб, 21 ноя · из максимум 5 дней")


@pytest.fixture
def data(world):
    today = timezone.localdate()
    client = make_client(world.owner, phone="+79161234567")
    deals = [make_deal(world.owner, world.pipeline, client=client, values={"amount": "1250000.50"},
                       first_task=task_spec(days, title=f"Позвонить {days}")) for days in (-1, -3, -5, -21, 0, 2)]
    create_task(actor=world.owner, client=client, title="Встреча", kind="meeting", due_date=today)
    return deals, client


@pytest.mark.parametrize("who", ["owner", "lead", "head"])
def test_main_pages_in_russian_have_no_bad_forms(client, world, data, who):
    deals, the_client = data
    user = getattr(world, who)
    user.language = "ru"
    user.save()
    client.force_login(user)
    client.cookies["django_language"] = "ru"
    pages = ["/my-day/", "/tasks/", "/tasks/?status=all", f"/pipelines/{world.pipeline.slug}/board/", "/deals/",
             f"/deals/{deals[0].pk}/", "/clients/", f"/clients/{the_client.pk}/", "/search/?q=Клиент"]
    found = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 200, url
        problems = bad_forms(visible_text(response.content.decode()))
        if problems:
            found[url] = problems
    assert not found, found


def test_every_msgid_has_a_russian_translation():
    po = (Path(__file__).resolve().parents[2] / "src/voronka/locale/ru/LC_MESSAGES/django.po").read_text()
    entries = po.split("\n\n")[1:]  # the header entry has an empty msgid and a filled msgstr
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    empty = [e for e in entries if re.search(r'\nmsgstr(?:\[\d\])? ""\s*$', e) or re.search(r'\nmsgstr(?:\[\d\])? ""\n(?!")', e)]
    assert not fuzzy, fuzzy[:3]
    assert not empty, empty[:3]


def test_amounts_in_both_languages_through_one_filter():
    from django.utils import translation

    from voronka.core.formatting import show_money
    from voronka.deals.templatetags.deal_tags import money
    from voronka.web.templatetags.ui import register as ui_register

    assert ui_register.filters["money"] is show_money
    with translation.override("ru"):
        assert money("1250000.50", "RUB") == "1\u00a0250\u00a0000,50\u00a0₽"
        assert money(dec("300000"), "RUB") == "300\u00a0000\u00a0₽"
        assert money(None) == money("") == money(0) == "—"
    with translation.override("en"):
        assert money("1250000.50", "RUB") == "1,250,000.50\u00a0₽"


def dec(text: str):  # a Decimal, as the database gives it
    from decimal import Decimal

    return Decimal(text)


def test_durations_have_one_style_and_plural_forms():
    import datetime as dt

    from django.utils import translation

    from voronka.core.formatting import format_days, format_duration, format_since

    with translation.override("ru"):
        assert [format_days(n) for n in (1, 3, 5, 21)] == ["1 день", "3 дня", "5 дней", "21 день"]
        assert format_duration(6 * 3600 + 50 * 60) == "6 ч 50 мин"
        assert format_duration(2 * 86400 + 4 * 3600) == "2 дня 4 ч"
        assert format_duration(5 * 86400) == "5 дней"
        assert format_since(dt.date(2026, 1, 1), dt.date(2026, 1, 4)) == "3 дня"
    with translation.override("en"):
        assert format_duration(86400 + 3600) == "1 day 1 h"
