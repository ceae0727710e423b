"""Campaign effectiveness against a plain computation over the same clients and deals."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from random import Random

import pytest
from django.utils import timezone

from tests.analytics.history import BASE, NOW, at
from tests.analytics.test_closed_reports import canon
from tests.factories import make_client, make_deal
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.catalog.models import Campaign, Channel
from voronka.clients.models import Client
from voronka.deals.models import Deal
from voronka.deals.services import lose_deal, update_deal, win_deal

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")


@pytest.fixture
def campaigns(world):
    rng = Random(5)
    mail = Channel.objects.create(name="Почта")
    spring = Campaign.objects.create(name="Весна", cost=Decimal("90000.00"), channel=world.channel, source=world.source)
    autumn = Campaign.objects.create(name="Осень", cost=Decimal("45000.50"), channel=mail)
    Campaign.objects.create(name="Пусто", cost=Decimal("1000"))
    for i in range(30):
        actor = [world.owner, world.outsider][i % 2]
        campaign = [spring, autumn, None][i % 3]
        with at(BASE + dt.timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23))):
            client = make_client(actor, campaign=campaign)
            deal = make_deal(actor, world.pipeline, client=client,
                             values={"amount": rng.randint(1, 50) * 1000, "expected_close_date": "2099-12-31",
                                     **({"campaign": campaign.pk} if campaign else {})})
            if i % 7 == 0:
                deal = update_deal(actor=actor, deal=deal, values={"currency": "USD"})
        with at(BASE + dt.timedelta(days=rng.randint(121, 200))):
            if i % 3 == 1:
                win_deal(actor=actor, deal=deal)
            elif i % 3 == 2:
                lose_deal(actor=actor, deal=deal, reason=world.reason)
            elif i % 2:
                win_deal(actor=actor, deal=deal)
    return world


def expected(actor, mode, start=None, end=None):
    def local(moment):
        return timezone.localtime(moment).date()

    def within(moment):
        return moment is not None and (start is None or local(moment) >= start) and (end is None or local(moment) <= end)

    def visible(user):
        return actor.scope == "all" or user.pk == actor.pk or (actor.scope == "team" and user.team_id == actor.team_id)

    def group_of(campaign):
        target = {"campaign": campaign, "channel": campaign.channel, "source": campaign.source}[mode]
        return (target.pk, target.name) if target is not None else None

    rows = defaultdict(lambda: {"leads": 0, "deals": 0, "won": 0, "revenue": Decimal(0), "cost": Decimal(0)})
    for c in Client.objects.select_related("campaign__channel", "campaign__source", "responsible"):
        if c.campaign and within(c.created_at) and visible(c.responsible) and group_of(c.campaign):
            rows[group_of(c.campaign)]["leads"] += 1
    for d in Deal.objects.select_related("campaign__channel", "campaign__source", "owner"):
        if not d.campaign or not visible(d.owner) or not group_of(d.campaign):
            continue
        if within(d.created_at):
            rows[group_of(d.campaign)]["deals"] += 1
        if d.status == "won" and within(d.closed_at):
            rows[group_of(d.campaign)]["won"] += 1
            if d.currency == "RUB":
                rows[group_of(d.campaign)]["revenue"] += d.amount
    for campaign in Campaign.objects.select_related("channel", "source"):
        if group_of(campaign) in rows:
            rows[group_of(campaign)]["cost"] += campaign.cost
    out = []
    for (gid, name), r in rows.items():
        cost = r["cost"].quantize(CENT)
        out.append({"group_id": gid, "group": name, "leads": r["leads"], "deals": r["deals"], "won": r["won"],
                    "revenue": r["revenue"].quantize(CENT), "cost": cost,
                    "cost_per_lead": (cost / r["leads"]).quantize(CENT, ROUND_HALF_UP) if r["leads"] else None,
                    "cost_per_won": (cost / r["won"]).quantize(CENT, ROUND_HALF_UP) if r["won"] else None,
                    "roi": round(float((r["revenue"].quantize(CENT) - cost) / cost), 4) if cost else None})
    return out


@pytest.mark.parametrize("mode", ["campaign", "channel", "source"])
def test_campaigns_equal_plain_python(campaigns, mode):
    for actor in (full_scope_actor(), campaigns.owner):
        got = run_report(actor=actor, name="campaigns", params={"mode": mode}, now=NOW).rows
        assert got and canon(got) == canon(expected(actor, mode))
    got = run_report(actor=full_scope_actor(), name="campaigns",
                     params={"mode": mode, "from": "2026-04-01", "to": "2026-07-31"}, now=NOW).rows
    assert canon(got) == canon(expected(full_scope_actor(), mode, dt.date(2026, 4, 1), dt.date(2026, 7, 31)))


def test_campaign_counts_link_to_that_many_deals(campaigns, client):
    """Drill-down (campaign mode): ``deals`` and ``won`` to the deal list, whose count is the number shown."""
    import re

    from tests.analytics.test_drill import COUNT, LINK, _number

    head = campaigns.head
    client.force_login(head)
    params = {"from": "2026-03-01", "to": "2026-10-31", "mode": "campaign"}
    html = client.get("/reports/campaigns/", params).content.decode()
    links = [(url.replace("&amp;", "&"), key, _number(text)) for url, key, text in LINK.findall(html)]
    rows = run_report(actor=head, name="campaigns", params=params).rows
    assert {key for _u, key, _n in links} == {"deals", "won"}
    assert len(links) == 2 * len(rows) and sum(n for _u, _k, n in links) > 0
    for url, key, number in links:
        listed = client.get(url).content.decode()
        assert _number(COUNT.search(listed).group(1)) == number, (key, url)
        assert re.search(r"campaign=\d+", url)
    channel = client.get("/reports/campaigns/", {**params, "mode": "channel"}).content.decode()
    assert not LINK.findall(channel)  # the deal list does not filter by the campaign's channel
