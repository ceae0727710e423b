"""Dashboards per role (the home page): blocks of existing report definitions, never a report written twice.

- **manager**: his plan progress and forecast (``plan-fact``), his funnel, his stuck deals and overdue tasks
  (``stuck``), his order-in-the-CRM score (``crm-order``); the reports' scope makes them his own.
- **lead**: the team's funnel, plan-fact per manager, stuck deals, dips and scores per manager.
- **head** (and administrators, analysts): all of it per team.

The period (``from``/``to``, default: the current month to today) and the pipeline (``pipeline``, default:
the first active one) stay in the URL. Each block runs its report once (a fixed number of queries) and its
numbers link to the lists behind them through the report's own ``drills``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Role, User
from voronka.core.errors import DomainError

from .engine import ReportResult, get_report, run_report


@dataclass(frozen=True)
class Block:
    key: str
    title: Any
    report: str
    by: str = ""
    mode: str = ""
    columns: tuple[str, ...] = ()  # the columns shown (besides the slice columns); empty: all


@dataclass
class BlockResult:
    block: Block
    result: ReportResult | None
    links: list[dict[str, str]] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    error: DomainError | None = None


PLAN = ("month", "plan_amount", "fact_amount", "done_pct", "plan_count", "fact_count", "forecast_amount",
        "forecast_count")
FUNNEL = ("stage", "reached", "converted", "conversion_pct", "dropped", "won", "open")
STUCK = ("open_deals", "past_max_days", "no_open_task", "overdue_tasks")
ORDER = ("rank", "score", "open_deals", "open_task_pct", "on_time_pct", "qualified_pct", "fields_pct")
DIPS = ("period", "metric", "previous", "current", "change_pct")

DASHBOARDS: dict[str, tuple[Block, ...]] = {
    "manager": (
        Block("plan", _("My plan and forecast"), "plan-fact", by="manager", columns=PLAN),
        Block("funnel", _("My funnel"), "funnel", columns=FUNNEL),
        Block("stuck", _("My stuck deals and overdue tasks"), "stuck", by="manager", columns=STUCK),
        Block("order", _("My order in the CRM"), "crm-order", by="manager", columns=ORDER),
    ),
    "lead": (
        Block("funnel", _("Team funnel"), "funnel", columns=FUNNEL),
        Block("plan", _("Plan vs fact per manager"), "plan-fact", by="manager", columns=PLAN),
        Block("stuck", _("Stuck deals"), "stuck", by="manager", columns=STUCK),
        Block("dips", _("Dips"), "dips", by="manager", mode="week", columns=DIPS),
        Block("order", _("Order in the CRM"), "crm-order", by="manager", columns=ORDER),
    ),
    "head": (
        Block("funnel", _("Funnel per team"), "funnel", by="team", columns=FUNNEL),
        Block("plan", _("Plan vs fact per team"), "plan-fact", by="team", columns=PLAN),
        Block("stuck", _("Stuck deals per team"), "stuck", by="team", columns=STUCK),
        Block("dips", _("Dips per team"), "dips", by="team", mode="week", columns=DIPS),
        Block("order", _("Order in the CRM per team"), "crm-order", by="team", columns=ORDER),
    ),
}

ROLE_DASHBOARD = {Role.MANAGER: "manager", Role.LEAD: "lead", Role.HEAD: "head", Role.ADMIN: "head",
                  Role.ANALYST: "head"}
TITLES = {"manager": _("My dashboard"), "lead": _("Team dashboard"), "head": _("Sales dashboard")}


def dashboard_for(user: User) -> str:
    return ROLE_DASHBOARD.get(user.role, "manager")


def period(raw: Mapping[str, Any], today: dt.date) -> dict[str, str]:
    """The period of the URL; by default the current month up to today."""
    return {"from": (raw.get("from") or today.replace(day=1).isoformat()),
            "to": (raw.get("to") or today.isoformat())}


def block_params(block: Block, raw: Mapping[str, Any], today: dt.date) -> dict[str, str]:
    """A block's report parameters from the dashboard's (period, pipeline)."""
    report = get_report(block.report)
    params: dict[str, str] = {}
    if report.period:
        params.update(period(raw, today))
    if raw.get("pipeline"):
        params["pipeline"] = str(raw["pipeline"])
    if block.by:
        params["by"] = block.by
    if block.mode:
        params["mode"] = block.mode
    return params


def build(*, actor: User, kind: str, raw: Mapping[str, Any],
          now: dt.datetime | None = None) -> list[BlockResult]:
    """Run every block of dashboard ``kind`` for ``actor`` (a bad period or pipeline: each block's error)."""
    today = timezone.localdate(now)
    out = []
    for block in DASHBOARDS[kind]:
        params = block_params(block, raw, today)
        try:
            result = run_report(actor=actor, name=block.report, params=params, now=now)
        except DomainError as exc:
            out.append(BlockResult(block, None, query=params, error=exc))
            continue
        links = result.report.drills(result.params, result.rows)
        out.append(BlockResult(block, result, links, query=result.params.as_query()))
    return out
