"""Random but reproducible deal histories written through the real services at chosen moments.

``django.utils.timezone.now`` is pinned to each event's moment (whole seconds), so creation, moves,
closes and reopens land in the log exactly as they would have happened then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from random import Random
from unittest import mock

from tests.factories import SalesWorld, make_client, make_deal, make_user, task_spec
from voronka.accounts.models import Role, User
from voronka.catalog.models import Channel, Industry, LostReason, Product, Region, Source
from voronka.deals.models import Deal
from voronka.deals.services import lose_deal, move_deal, reopen_deal, update_deal, win_deal

BASE = dt.datetime(2026, 3, 2, 6, 0, 0, tzinfo=dt.UTC)
NOW = BASE + dt.timedelta(days=240)


@contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@dataclass
class History:
    world: SalesWorld
    mover: User
    managers: list[User]
    deals: list[Deal] = field(default_factory=list)


def build_history(world: SalesWorld, *, seed: int = 1, deals: int = 60, span_days: int = 200) -> History:
    """``deals`` deals over ``span_days`` by four managers (one of them changes team at the end)."""
    rng = Random(seed)
    mover = make_user("mover", team=world.team)
    managers = [world.owner, world.teammate, world.outsider, mover]
    products = [world.product, Product.objects.create(name="Словарь", price=5000), None]
    channels = [world.channel, Channel.objects.create(name="Почта"), None]
    sources = [world.source, Source.objects.create(name="Выставка"), None]
    regions = [world.region, Region.objects.create(name="Казань"), None]
    industries = [Industry.objects.create(name="IT"), None]
    reasons = [world.reason, LostReason.objects.create(name="Нет ответа")]
    clients = {m.pk: [] for m in managers}
    history = History(world=world, mover=mover, managers=managers)
    for _ in range(deals):
        owner = rng.choice(managers)
        moment = BASE + dt.timedelta(seconds=rng.randint(0, span_days * 86400))
        with at(moment):
            pool = clients[owner.pk]
            if pool and rng.random() < 0.5:
                client = rng.choice(pool)
            else:
                client = make_client(owner, region=rng.choice(regions), industry=rng.choice(industries))
                pool.append(client)
            pipeline = world.pipeline if rng.random() < 0.8 else world.other_pipeline
            stages = list(pipeline.stages.order_by("position", "id"))
            start = stages[0] if rng.random() < 0.8 else rng.choice(stages)
            values = {"amount": rng.randint(1, 400) * 1000, "expected_close_date": "2099-12-31"}
            for key, options in (("product", products), ("channel", channels), ("source", sources)):
                choice = rng.choice(options)
                if choice is not None:
                    values[key] = choice.pk
            deal = make_deal(owner, pipeline, client=client, stage=start, values=values,
                             first_task=task_spec(days=rng.randint(1, 20)))
            if rng.random() < 0.15:
                deal = update_deal(actor=owner, deal=deal, values={"currency": "USD"})
        for _step in range(rng.randint(0, 6)):
            moment += dt.timedelta(seconds=rng.randint(600, 12 * 86400))
            if moment >= NOW:
                break
            deal.refresh_from_db()
            with at(moment):
                roll = rng.random()
                if deal.status != "open":
                    if roll < 0.3:
                        deal = reopen_deal(actor=owner, deal=deal, task=task_spec(days=3),
                                           stage=rng.choice(stages))
                    else:
                        break
                elif roll < 0.55:
                    target = rng.choice([s for s in stages if s.pk != deal.stage_id])
                    deal = move_deal(actor=owner, deal=deal, stage=target)
                elif roll < 0.75:
                    deal = win_deal(actor=owner, deal=deal)
                elif roll < 0.95:
                    deal = lose_deal(actor=owner, deal=deal, reason=rng.choice(reasons))
        history.deals.append(deal)
    # A manager who changed team: his deals were made in team A; he is in team B now.
    mover.team = world.other_team
    mover.save(update_fields=["team"])
    return history


def lead_of_other_team(world: SalesWorld) -> User:
    return make_user("lead_b", role=Role.LEAD, team=world.other_team)
