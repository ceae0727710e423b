"""Campaign effectiveness: leads, deals, won, revenue against the campaign's cost.

Per campaign (or the campaign's channel or source): ``leads`` = clients created in the period with the
campaign, ``deals`` = deals created in the period, ``won`` and ``revenue`` (base currency) = deals won in the
period, ``cost`` = the campaigns' recorded cost (the whole campaign, not prorated to the period). By cash
(``revenue=cash``), ``revenue`` (and ROI) = the payments received in the period on the campaign's deals
(base-currency invoices, by payment date), whenever the deal was won.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, DecimalField, F, When
from django.utils.translation import gettext_lazy as _

from voronka.catalog.models import Campaign
from voronka.clients.models import Client
from voronka.deals.models import DealStatus

from ..cash import cash_payments
from ..engine import Column, Report, Run, deal_drill, deal_url, register
from ..sql import Agg, aggregate, as_int, as_money

# How each grouping reaches the campaign: from a deal, from a client, from the campaign row itself.
GROUPS = {"campaign": ("campaign", "campaign", "pk"), "channel": ("campaign__channel", "campaign__channel", "channel"),
          "source": ("campaign__source", "campaign__source", "source")}


@register
class Campaigns(Report):
    name = "campaigns"
    title = _("Campaigns")
    description = _("Per campaign (or its channel or source): leads and deals created and deals won in the "
                    "period, revenue, cost, cost per lead, cost per won deal and ROI.")
    slices = ()
    modes = ("campaign", "channel", "source")
    chart_value = "roi"
    columns = (Column("group_id", "id", "id"), Column("group", _("campaign / channel / source"), "str"),
               Column("leads", _("leads")), Column("deals", _("deals")), Column("won", _("won")),
               Column("revenue", _("revenue"), "money"), Column("cost", _("cost"), "money"),
               Column("cost_per_lead", _("cost per lead"), "money"),
               Column("cost_per_won", _("cost per won deal"), "money"), Column("roi", _("ROI"), "fraction"))

    revenue_bases = ("won", "cash")

    def output_columns(self, run: Run) -> list[Column]:
        if run.params.revenue == "cash":
            return [dataclasses.replace(c, label=_("cash received")) if c.key == "revenue" else c
                    for c in self.columns]
        return list(self.columns)

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        """Per campaign: ``deals`` to the deals created in the period with it, ``won`` to those won in the
        period, ``revenue`` by cash to those paid for in the period (in the base currency); the deal list
        filters by the deal's campaign; the channel and source modes group by the campaign's channel or
        source, which the deal list does not filter by, so they are not linked."""
        if params.mode != "campaign" or row.get("group_id") is None:
            return {}
        base = {**deal_drill(params, None, date=None), "campaign": row["group_id"]}
        created = deal_drill(params, None, date="created")
        closed = deal_drill(params, None, date="closed")
        links = {"deals": deal_url({**base, **created}),
                 "won": deal_url({**base, **closed}, status=DealStatus.WON)}
        if params.revenue == "cash":  # by cash: the deals with a payment received in the period
            links["revenue"] = deal_url({**base, **deal_drill(params, None, date="paid")},
                                       currency=settings.VORONKA_DEFAULT_CURRENCY)
        return links

    def rows(self, run: Run) -> list[dict[str, Any]]:
        deal_path, client_path, campaign_path = GROUPS[run.params.mode]
        base = settings.VORONKA_DEFAULT_CURRENCY
        keyed: dict[Any, dict[str, Any]] = {}

        def merge(rows, **fields):
            for r in rows:
                if r["gid"] is None:
                    continue
                row = keyed.setdefault(r["gid"], {"group_id": r["gid"], "group": r["gname"], "leads": 0, "deals": 0,
                                                  "won": 0, "revenue": Decimal("0.00"), "cost": Decimal("0.00")})
                for out, key in fields.items():
                    row[out] = r[key]

        group = {"gid": F(f"{deal_path}_id"), "gname": F(f"{deal_path}__name")}
        created = run.deals().filter(run.period_q("created_at"), campaign__isnull=False)
        merge(self._agg(run, created, group, {}, [Agg("n", "count")]), deals="n")
        won = run.deals().filter(run.period_q("closed_at"), status=DealStatus.WON, campaign__isnull=False)
        amount = Case(When(currency=base, then=F("amount")), default=None, output_field=DecimalField())
        if run.params.revenue == "cash":
            merge(self._agg(run, won, group, {}, [Agg("n", "count")]), won="n")
            paid = cash_payments(run, base_only=True).filter(invoice__deal__campaign__isnull=False)
            merge(self._agg(run, paid, {"gid": F(f"invoice__deal__{deal_path}_id"),
                                        "gname": F(f"invoice__deal__{deal_path}__name")},
                            {"amt": F("amount")}, [Agg("revenue", "sum", "amt")]), revenue="revenue")
        else:
            merge(self._agg(run, won, group, {"amt": amount}, [Agg("n", "count"), Agg("revenue", "sum", "amt")]),
                  won="n", revenue="revenue")
        clients = Client.objects.using(run.alias).filter(run.scope("clients.Client"),
                                                          run.period_q("created_at"), campaign__isnull=False)
        merge(self._agg(run, clients, {"gid": F(f"{client_path}_id"), "gname": F(f"{client_path}__name")}, {},
                        [Agg("n", "count")]), leads="n")
        campaigns = Campaign.objects.using(run.alias).all()
        gid = "pk" if campaign_path == "pk" else f"{campaign_path}_id"
        name = "name" if campaign_path == "pk" else f"{campaign_path}__name"
        merge(self._agg(run, campaigns, {"gid": F(gid), "gname": F(name)}, {"c": F("cost")},
                        [Agg("n", "count"), Agg("cost", "sum", "c")]), cost="cost")
        out = []
        for row in keyed.values():
            row.update({k: as_int(row[k]) for k in ("leads", "deals", "won")})
            row["revenue"], row["cost"] = as_money(row["revenue"]), as_money(row["cost"])
            cost = row["cost"]
            if not (row["leads"] or row["deals"] or row["won"] or row["revenue"]):
                continue  # a campaign with nothing in the period is not a row
            row["cost_per_lead"] = as_money(cost / row["leads"]) if row["leads"] else None
            row["cost_per_won"] = as_money(cost / row["won"]) if row["won"] else None
            row["roi"] = round(float((row["revenue"] - cost) / cost), 4) if cost else None
            out.append(row)
        return sorted(out, key=lambda r: (str(r["group"]).casefold(), r["group_id"]))

    @staticmethod
    def _agg(run: Run, qs, groups: dict[str, Any], inputs: dict[str, Any], aggs: list[Agg]) -> list[dict[str, Any]]:
        return aggregate(qs, groups=groups, inputs=inputs, aggs=aggs)

