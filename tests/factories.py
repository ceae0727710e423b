"""Test data built through the real services (no fixtures that bypass the rules)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.utils import timezone

from voronka.accounts.models import Role, Team, User
from voronka.accounts.services import get_system_actor
from voronka.catalog.models import Channel, LostReason, Product, Region, Source
from voronka.clients.models import Client
from voronka.clients.services import create_client
from voronka.deals.models import Deal
from voronka.deals.services import create_deal
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import add_stage, create_pipeline

_seq = itertools.count(1)


@dataclass
class SalesWorld:
    team: Team
    other_team: Team
    owner: User
    teammate: User
    outsider: User
    lead: User
    head: User
    admin: User
    analyst: User
    pipeline: Pipeline
    other_pipeline: Pipeline
    source: Source
    channel: Channel
    region: Region
    product: Product
    reason: LostReason
    system: User


def make_user(username: str, role: str = Role.MANAGER, team: Team | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password="demo", role=role, team=team, **extra)
    return user


def build_world() -> SalesWorld:
    team = Team.objects.create(name="Team A")
    other = Team.objects.create(name="Team B")
    owner = make_user("owner", team=team)
    teammate = make_user("teammate", team=team)
    outsider = make_user("outsider", team=other)
    lead = make_user("lead", role=Role.LEAD, team=team)
    team.lead = lead
    team.save()
    head = make_user("head", role=Role.HEAD)
    admin = make_user("admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    analyst = make_user("analyst", role=Role.ANALYST)
    system = get_system_actor()
    pipeline = create_pipeline(actor=system, name="Inbound", slug="inbound", kind="inbound")
    add_stage(actor=system, pipeline=pipeline, name="Заявка получена", slug="received")
    add_stage(actor=system, pipeline=pipeline, name="Квалификация проведена", slug="qualified")
    add_stage(actor=system, pipeline=pipeline, name="КП отправлено", slug="proposal", required_fields=["amount"],
              max_days=5)
    add_stage(actor=system, pipeline=pipeline, name="Договор подписан", slug="signed",
              required_fields=["amount", "expected_close_date"])
    other_pipeline = create_pipeline(actor=system, name="Outreach", slug="outreach", kind="outreach")
    add_stage(actor=system, pipeline=other_pipeline, name="База собрана", slug="base")
    add_stage(actor=system, pipeline=other_pipeline, name="Письмо отправлено", slug="letter")
    return SalesWorld(
        team=team, other_team=other, owner=owner, teammate=teammate, outsider=outsider, lead=lead, head=head,
        admin=admin, analyst=analyst, pipeline=pipeline, other_pipeline=other_pipeline,
        source=Source.objects.create(name="Сайт"), channel=Channel.objects.create(name="Телефон"),
        region=Region.objects.create(name="Москва"),
        product=Product.objects.create(name="Переводчик API", price=120000),
        reason=LostReason.objects.create(name="Нет денег"), system=system,
    )


def make_client(actor: User, **fields) -> Client:
    n = next(_seq)
    fields.setdefault("name", f"ООО Клиент {n}")
    return create_client(actor=actor, allow_duplicate=True, **fields)


def task_spec(days: int = 1, **extra) -> dict:
    return {"title": "Позвонить", "kind": "call", "due_date": timezone.localdate() + dt.timedelta(days=days), **extra}


def make_deal(actor: User, pipeline: Pipeline, client: Client | None = None, **kwargs) -> Deal:
    client = client or make_client(actor)
    kwargs.setdefault("title", f"Сделка {next(_seq)}")
    kwargs.setdefault("first_task", task_spec())
    # A first task is never created in the past (create_deal); a test that wants it overdue gets a deal
    # whose task was due that day and is overdue now (its date moved back after the creation).
    spec = kwargs["first_task"]
    due = spec.get("due_date") if isinstance(spec, dict) else None
    if isinstance(due, dt.date) and due < timezone.localdate():
        deal = create_deal(actor=actor, pipeline=pipeline, client=client,
                           **{**kwargs, "first_task": {**spec, "due_date": timezone.localdate()}})
        deal.tasks.update(due_date=due)
        return deal
    return create_deal(actor=actor, pipeline=pipeline, client=client, **kwargs)


def sign_in(http_client, username: str, password: str) -> bool:
    """Sign in through the sign-in page, as a browser does (the lockout backend needs the request)."""
    from django.urls import reverse

    http_client.post(reverse("web:login"), {"username": username, "password": password})
    return "_auth_user_id" in http_client.session
