"""Scheduled job of the analytics app: the sales-dip notice.

Every morning (``VORONKA_DIPS_TIME``, default 09:00 local) the ``dips`` report compares the last complete
week with the week before, per manager, as each lead and head sees it (his scope: a lead his team, a head
everyone). Each dip is told once to each of them (``dip:<week>:<metric>:<manager id>``), however often the
job runs.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.analytics.engine import run_report
from voronka.automation.models import EventType
from voronka.automation.scheduler import job, parse_hhmm
from voronka.automation.services import in_language, notify
from voronka.core.errors import DomainError


def _metric(metric: str) -> str:
    return {"new_deals": _("new deals"), "won_deals": _("won deals"), "won_revenue": _("won revenue"),
            "cash_received": _("cash received")}[metric]


def last_weeks(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday of the week before last and Sunday of last week: the two complete weeks compared."""
    last_monday = today - dt.timedelta(days=today.weekday() + 7)
    return last_monday - dt.timedelta(days=7), last_monday + dt.timedelta(days=6)


def notify_sales_dips(*, now: dt.datetime) -> int:
    """Run ``dips`` for every lead and head and tell each of the dips of last week; how many notices."""
    date_from, date_to = last_weeks(timezone.localtime(now).date())
    week = date_to - dt.timedelta(days=6)
    link = reverse("analytics:report", args=["dips"]) + "?" + urlencode(
        {"from": date_from.isoformat(), "to": date_to.isoformat(), "mode": "week", "by": "manager"})
    made = 0
    for user in User.objects.filter(is_active=True, is_system=False, role__in=(Role.LEAD, Role.HEAD)).order_by("pk"):
        try:
            result = run_report(actor=user, name="dips", now=now, params={
                "from": date_from.isoformat(), "to": date_to.isoformat(), "mode": "week", "by": "manager"})
        except DomainError:  # e.g. no pipeline he may see: nothing to tell him
            continue
        for row in result.rows:
            if row["period"] != week:
                continue
            with in_language(user):
                title = _("Sales dip: %(manager)s, %(metric)s") % {"manager": row["manager"],
                                                                    "metric": _metric(row["metric"])}
                body = _("Week of %(week)s: %(current)s against %(previous)s the week before (%(change)s %%).") % {
                    "week": week.isoformat(), "current": f"{row['current']:g}", "previous": f"{row['previous']:g}",
                    "change": f"{row['change_pct']:g}"}
            made += notify(recipient=user, event_type=EventType.SALES_DIP, title=title, body=body, link_url=link,
                           dedupe_key=f"dip:{week.isoformat()}:{row['metric']}:{row['manager_id']}") is not None
    return made


@job("analytics.sales_dips", daily_at=parse_hhmm(settings.VORONKA_DIPS_TIME, setting="VORONKA_DIPS_TIME"))
def sales_dips(*, now: dt.datetime) -> dict[str, int]:
    return {"notifications, sales dips": notify_sales_dips(now=now)}
