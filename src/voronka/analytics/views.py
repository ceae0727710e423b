"""Reports section: one page per report (filters and group-by in the URL, a chart, the table) and exports.

Thin: the parameters go to ``engine.run_report`` as they came; a bad one is shown as a field error (400).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from voronka.audit.services import record_export
from voronka.core.errors import DomainError, NotFound
from voronka.pipelines.selectors import list_pipelines

from . import dashboards, export
from .engine import get_report, list_reports, run_report
from .slices import SLICES


def _raw(request) -> dict[str, Any]:
    """The query string as engine parameters; the page's two group-by pickers become ``by``."""
    raw = {k: v for k, v in request.GET.items() if k not in ("by1", "by2", "format")}
    if "by1" in request.GET or "by2" in request.GET:
        raw["by"] = ",".join(v for v in (request.GET.get("by1", ""), request.GET.get("by2", "")) if v)
    return raw


def _report_or_404(name: str):
    try:
        return get_report(name)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def index(request):
    return render(request, "analytics/index.html", {"nav": "reports", "reports": list_reports()})


@login_required
def report_page(request, name: str):
    report = _report_or_404(name)
    raw = _raw(request)
    if report.period_required and not raw.get("from") and not raw.get("to"):
        today = timezone.localdate()  # a report that needs a period opens on the last 90 days
        raw.update({"from": (today - dt.timedelta(days=89)).isoformat(), "to": today.isoformat()})
    context: dict[str, Any] = {
        "nav": "reports", "report": report, "reports": list_reports(), "raw": raw,
        "pipelines": list(list_pipelines(actor=request.user, active_only=False).order_by("sort_order", "name")),
        "slices": [SLICES[k] for k in report.slices],
        "page_links": [(reverse(url_name), label) for url_name, label, allowed in report.page_links
                       if allowed(request.user)],
    }
    try:
        result = run_report(actor=request.user, name=name, params=raw)
    except DomainError as exc:
        context["error"] = exc
        return render(request, "analytics/report.html", context, status=400)
    query = result.params.as_query()
    by = list(result.params.by)
    context.update({
        "result": result, "by1": by[0] if by else "", "by2": by[1] if len(by) > 1 else "",
        "table_rows": list(zip(result.rows, report.drills(result.params, result.rows), strict=True)),
        "query": query, "chart": chart_spec(result),
    })
    return render(request, "analytics/report.html", context)


def chart_spec(result) -> dict[str, Any]:
    """What ``reports.js`` draws: the chart kind, the measure, the slices, the labels and the rows."""
    report = result.report
    return {"kind": report.chart, "value": report.chart_value, "by": list(result.params.by),
            "labels": {c.key: str(c.label) for c in result.columns}, "rows": export.to_jsonable(result)["rows"]}


@login_required
@require_GET
def dashboard(request, kind: str = ""):
    """The dashboard of the user's role (``kind`` picks another one: a head may look at a lead's)."""
    kind = kind or dashboards.dashboard_for(request.user)
    if kind not in dashboards.DASHBOARDS:
        raise Http404(kind)
    raw = {k: request.GET.get(k, "") for k in ("from", "to", "pipeline")}
    blocks = dashboards.build(actor=request.user, kind=kind, raw=raw)
    error = next((b.error for b in blocks if b.error is not None and b.error.field in ("from", "to", "pipeline")),
                 None)
    shown = []
    for i, b in enumerate(blocks):
        if b.result is None:
            shown.append({"block": b, "error": b.error})
            continue
        columns = [c for c in b.result.columns
                   if not b.block.columns or c.key in b.block.columns or c.key in _slice_keys(b.result)]
        shown.append({"block": b, "result": b.result, "columns": columns, "id": f"dash-chart-{i}", "data_id": f"dash-chart-{i}-data",
                      "rows": list(zip(b.result.rows, b.links, strict=True)), "chart": chart_spec(b.result),
                      "url": f"{reverse('analytics:report', args=[b.block.report])}?{urlencode(b.query)}"})
    today = timezone.localdate()
    period = dashboards.period(raw, today)
    return render(request, "analytics/dashboard.html", {
        "nav": "dashboard", "kind": kind, "title": dashboards.TITLES[kind], "blocks": shown, "error": error,
        "raw": {**raw, **period}, "kinds": list(dashboards.DASHBOARDS) if request.user.role != "manager" else [],
        "pipelines": list(list_pipelines(actor=request.user).order_by("sort_order", "name")),
    }, status=400 if error else 200)


def _slice_keys(result) -> set[str]:
    from .slices import SLICES

    return {k for key in result.params.by for k in SLICES[key].output_keys()}


@login_required
@require_GET
def report_export(request, name: str):
    _report_or_404(name)
    fmt = request.GET.get("format", "csv")
    if fmt not in export.FORMATS:
        return HttpResponse(f"unknown format {fmt[:20]!r}", status=400, content_type="text/plain")
    try:
        result = run_report(actor=request.user, name=name, params=_raw(request))
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    filename = f"{name}.{fmt}"
    record_export(actor=request.user, what=f"report:{name}", rows=len(result.rows),
                  filters=request.GET.urlencode()[:2000])
    if fmt == "csv":
        response = StreamingHttpResponse(export.iter_csv(result), content_type=export.CONTENT_TYPES["csv"])
    elif fmt == "xlsx":
        response = HttpResponse(export.xlsx_bytes(result), content_type=export.CONTENT_TYPES["xlsx"])
    else:
        response = HttpResponse(export.to_json(result), content_type=export.CONTENT_TYPES["json"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
