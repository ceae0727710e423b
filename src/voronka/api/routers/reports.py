"""Reports: the same definitions, parameters and JSON as ``voronka report`` (``analytics.engine``), scoped to
the caller (a manager's funnel is his own deals, a lead's his team's)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from voronka.analytics.engine import get_report, list_reports, run_report
from voronka.analytics.export import to_jsonable

from ..schemas import ERRORS

router = Router(tags=["reports"])

# Query parameters the engine reads besides the slice filters (any slice key filters: ?product=3).
ENGINE_PARAMS = ("from", "to", "pipeline", "by", "mode", "revenue")
MAX_PARAM = 200


class ReportInfo(Schema):
    name: str
    title: str
    description: str
    period: bool
    period_required: bool
    modes: list[str]
    by: list[str]
    default_by: list[str]
    columns: list[str]
    url: str


class ReportOut(Schema):
    report: str
    params: dict[str, Any]
    rows: list[dict[str, Any]]


@router.get("/reports", response={200: list[ReportInfo], **ERRORS}, summary="List the reports",
            description="Each report's parameters, as `voronka report --list`.")
def reports_list(request: HttpRequest):
    return [{**r.describe(), "url": request.build_absolute_uri(f"{request.path}/{r.name}")} for r in list_reports()]


@router.get("/reports/{name}", response={200: ReportOut, **ERRORS}, summary="Run a report",
            description="Parameters as the CLI: `from`, `to` (YYYY-MM-DD, inclusive), `pipeline` (slug), "
                        "`by` (up to two slices, comma-separated), `mode` (cohort|flow), `revenue` (won|cash: "
                        "revenue, avg-check, plan-fact), and any slice as a "
                        "filter (`product=3`, `client_type=new`). JSON `{report, params, rows}` as "
                        "`voronka report NAME --format json`.")
def reports_run(request: HttpRequest, name: str):
    report = get_report(name[:MAX_PARAM])
    raw = {key: value[:MAX_PARAM] for key, value in request.GET.items()
           if key in ENGINE_PARAMS or key in report.slices}
    # ``to_jsonable``: the CLI's own conversion (decimals, dates), so both print the same numbers.
    return to_jsonable(run_report(actor=request.auth, name=report.name, params=raw))
