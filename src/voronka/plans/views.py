"""The plan grid (``/reports/plans/?month=YYYY-MM&pipeline=SLUG``): one month's plans, a row per team and per
seller the user may plan for, amount and count; the post saves the whole grid or, on a bad value, nothing
(the page comes back with each bad cell marked, status 400).

Thin: the selectors say who may plan for whom, ``services.set_month_plans`` validates and writes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from voronka.core.errors import DomainError, Forbidden
from voronka.core.money import plain
from voronka.pipelines.selectors import list_pipelines

from .selectors import can_plan, month_plans, parse_month, plan_subjects
from .services import PlanCell, PlanInputError, set_month_plans


def _pipeline(slug: str):
    if not slug:
        return None
    pipeline = list_pipelines(active_only=False).filter(slug=slug).first()
    if pipeline is None:
        raise DomainError(_("Unknown pipeline “%(slug)s”.") % {"slug": slug[:64]}, field="pipeline")
    return pipeline


@login_required
@require_http_methods(["GET", "POST"])
def plan_grid(request):
    if not can_plan(request.user):
        raise Forbidden(_("Plans are set by team leads, heads of sales and administrators."))
    data = request.POST if request.method == "POST" else request.GET
    pipelines = list_pipelines(actor=request.user, active_only=False).order_by("sort_order", "name")
    context: dict[str, Any] = {"nav": "reports", "pipelines": list(pipelines)}
    try:
        month = parse_month(data.get("month") or timezone.localdate())
        pipeline = _pipeline((data.get("pipeline") or "").strip())
    except DomainError as exc:
        context.update({"error": exc, "month_value": (data.get("month") or "")[:20]})
        return render(request, "plans/grid.html", context, status=400)
    teams, users = plan_subjects(actor=request.user)
    plans = month_plans(actor=request.user, month=month, pipeline=pipeline)
    subjects = [("t", t, None, t) for t in teams] + [("u", None, u, u.team) for u in users]
    errors: dict[str, str] = {}
    posted = request.method == "POST"
    if posted:
        cells = [PlanCell(key=f"{kind}{(team or user).pk}", user=user, team=team,
                          amount=data.get(f"{kind}{(team or user).pk}-amount", ""),
                          count=data.get(f"{kind}{(team or user).pk}-count", ""))
                 for kind, team, user, _group in subjects]
        try:
            changed = set_month_plans(actor=request.user, month=month, pipeline=pipeline, cells=cells)
        except PlanInputError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Plans saved (%(n)s changed).") % {"n": changed})
            query = {"month": f"{month:%Y-%m}", **({"pipeline": pipeline.slug} if pipeline else {})}
            return redirect(f"{reverse('plans:grid')}?{urlencode(query)}")
    rows = []
    for kind, team, user, group in subjects:
        key = f"{kind}{(team or user).pk}"
        plan = plans.get((kind, (team or user).pk))
        if posted:
            amount, count = data.get(f"{key}-amount", ""), data.get(f"{key}-count", "")
        else:
            amount = plain(plan.target_amount) if plan and plan.target_amount is not None else ""
            count = str(plan.target_count) if plan and plan.target_count is not None else ""
        rows.append({"key": key, "kind": kind, "subject": team or user, "group": group,
                     "amount": amount[:64], "count": count[:64],
                     "amount_error": errors.get(f"{key}-amount"), "count_error": errors.get(f"{key}-count")})
    report_query = {"from": month.isoformat(), "to": month.isoformat(),
                    **({"pipeline": pipeline.slug} if pipeline else {})}
    context.update({"month": month, "month_value": f"{month:%Y-%m}", "pipeline": pipeline, "rows": rows,
                    "errors": errors, "report_query": urlencode(report_query)})
    return render(request, "plans/grid.html", context, status=400 if errors else 200)
