"""Browser tests: Playwright on Debian's Chromium against pytest-django's live server.

Without /usr/bin/chromium they skip with a printed reason, unless VORONKA_REQUIRE_BROWSER=1 (CI), which
turns the skip into a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Assertions wait as long as actions do: on a loaded CI machine an htmx swap can take more than the 5 s default.
expect.set_options(timeout=10_000)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("VORONKA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _browser_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


def pytest_collection_modifyitems(config, items):
    if _browser_available():
        return
    if os.environ.get("VORONKA_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"VORONKA_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 860}, "locale": "ru-RU"}


@pytest.fixture(autouse=True)
def _page_timeouts(page):
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)


@pytest.fixture(autouse=True)
def _no_csp_violations(page):
    """Every browser flow fails on a Content-Security-Policy violation (an inline handler, eval, a CDN)."""
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield
    assert not violations, f"Content-Security-Policy violations: {violations}"


@dataclass
class E2EData:
    """A small sales set-up built through the real services: four pipelines, users, clients, deals."""

    admin: object
    head: object
    lead: object
    manager: object
    other_manager: object
    deals: list
    clients: list


@pytest.fixture
def e2e_data(transactional_db) -> E2EData:
    from django.utils import timezone

    from voronka.accounts.models import Role, Team, User
    from voronka.catalog.models import Channel, Source
    from voronka.clients.services import create_client
    from voronka.deals.services import create_deal
    from voronka.demo.bootstrap import install_defaults
    from voronka.pipelines.models import Pipeline

    install_defaults(language="ru")
    team = Team.objects.create(name="Отдел продаж 1")
    other = Team.objects.create(name="Отдел продаж 2")

    def user(username, role, team, **extra):
        return User.objects.create_user(username=username, password="demo", role=role, team=team,
                                        first_name=username.capitalize(), **extra)

    admin = user("admin", Role.ADMIN, None, is_staff=True, is_superuser=True)
    head = user("head", Role.HEAD, None)
    lead = user("lead1", Role.LEAD, team)
    manager = user("manager1", Role.MANAGER, team)
    other_manager = user("manager4", Role.MANAGER, other)
    team.lead = lead
    team.save()
    inbound = Pipeline.objects.get(slug="inbound")
    source, channel = Source.objects.first(), Channel.objects.first()
    today = timezone.localdate()
    clients, deals = [], []
    for i, (name, phone) in enumerate([("ООО Ромашка", "+79161234567"), ("АО Вектор", "+79031112233"),
                                       ("ИП Сидоров", "+79265554433")]):
        client = create_client(actor=manager, name=name, phone=phone, email=f"info{i}@example.ru")
        clients.append(client)
        deal = create_deal(
            actor=manager, title=f"{name}: перевод сайта", pipeline=inbound, client=client,
            values={"source": source.pk, "channel": channel.pk, "amount": 100000 * (i + 1)},
            first_task={"title": f"Позвонить {name}", "kind": "call", "due_date": today + dt.timedelta(days=max(i - 1, 0))},
        )
        if i == 0:  # overdue since yesterday (a first task is never created in the past)
            deal.tasks.update(due_date=today - dt.timedelta(days=1))
        deals.append(deal)
    return E2EData(admin=admin, head=head, lead=lead, manager=manager, other_manager=other_manager, deals=deals,
                   clients=clients)


def login(page, live_server, username: str, password: str = "demo") -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(lambda url: "/login/" not in url)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_accessible(page) -> None:
    """axe-core (shipped in axe-playwright-python): no critical or serious violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("critical", "serious")]
    details = "\n".join(f"{v['id']} ({v['impact']}): {v['help']} → "
                        f"{[n['target'] for n in v['nodes']][:5]}" for v in bad)
    assert not bad, f"accessibility violations:\n{details}"


def fill_required(dialog) -> None:
    """Fill every required-field block of a dialog with a valid value for its widget."""
    for block in dialog.locator("[data-required-field]").all():
        key = block.get_attribute("data-required-field")
        if key == "amount":
            continue
        for select in block.locator("select").all():
            select.select_option(index=1)
        checkboxes = block.locator("input[type=checkbox]")
        if checkboxes.count():
            checkboxes.first.check()
        for field in block.locator("input:not([type=checkbox]):not([type=hidden])").all():
            kind = field.get_attribute("type")
            field.fill("2030-01-31" if kind == "date" else "7707083893" if "inn" in key else "1")
