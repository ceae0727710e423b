"""The report engine: a report is a definition (parameters, one SQL aggregate, typed rows).

The page, the CLI, the API and the export all call :func:`run_report`; none of them computes a number.
Reports read the deals the actor may see (``accounts.permissions.scope_q``) on the reporting database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import ObjectType, Role, User
from voronka.accounts.permissions import allowed_pipeline_ids, pipeline_allowed, scope_q
from voronka.core.errors import DomainError, NotFound
from voronka.core.params import parse_id
from voronka.deals.models import Deal
from voronka.pipelines.models import Pipeline

from . import slices as sl
from .sql import Agg, aggregate

MODES = ("cohort", "flow")


def reporting_db() -> str:
    """The alias report reads use: the read replica when one is configured, else the primary."""
    try:
        from voronka.core.db_router import reporting_db as routed
    except ImportError:  # the router is not installed in this build
        return "replica" if "replica" in settings.DATABASES else DEFAULT_DB_ALIAS
    return routed()


def full_scope_actor() -> User:
    """The CLI without ``--as``: an unsaved reader with the ``all`` scope (writes nothing)."""
    return User(username="", role=Role.ANALYST, is_active=True)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    kind: str = "int"  # int, money, float, pct, fraction, days, str, date, id

    @property
    def is_number(self) -> bool:
        return self.kind in ("int", "money", "float", "pct", "fraction", "days")


@dataclass(frozen=True)
class ReportParams:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    pipeline: Pipeline | None = None
    by: tuple[str, ...] = ()
    mode: str = ""
    filters: tuple[tuple[str, Any], ...] = ()
    revenue: str = ""  # won / cash on a report with ``revenue_bases``; "" elsewhere

    def as_dict(self) -> dict[str, Any]:
        extra = {"revenue": self.revenue} if self.revenue else {}
        return {**extra,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "pipeline": self.pipeline.slug if self.pipeline else None,
            "by": list(self.by),
            "mode": self.mode or None,
            "filters": dict(self.filters),
            "currency": settings.VORONKA_DEFAULT_CURRENCY,
        }

    def as_query(self) -> dict[str, str]:
        """The parameters as URL query values (the page keeps them in the URL)."""
        out = {"from": self.date_from.isoformat() if self.date_from else "",
               "to": self.date_to.isoformat() if self.date_to else "",
               "pipeline": self.pipeline.slug if self.pipeline else "", "by": ",".join(self.by), "mode": self.mode,
               "revenue": self.revenue if self.revenue != "won" else ""}
        for key, value in self.filters:
            out[key] = "none" if value is None else str(value)
        return {k: v for k, v in out.items() if v}


@dataclass
class Run:
    """One execution: who, with what parameters, on which database, at what moment."""

    report: Report
    actor: User
    params: ReportParams
    alias: str
    now: dt.datetime
    # What a report adds to the output's ``params`` besides the parameters (e.g. the months it covered).
    notes: dict[str, Any] = field(default_factory=dict)

    def scope(self, model_label: str) -> Q:
        """The rows of ``model_label`` the actor's role may report on (its report scope, Settings › Access)."""
        return scope_q(self.actor, model_label, scope=self.actor.scope_for(ObjectType.REPORTS))

    def period(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The period as ``[start, end)`` instants in the installation's time zone (``to`` is inclusive)."""
        tz = timezone.get_current_timezone()
        p = self.params
        start = dt.datetime.combine(p.date_from, dt.time.min, tzinfo=tz) if p.date_from else None
        end = dt.datetime.combine(p.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if p.date_to else None
        return start, end

    def period_q(self, field_name: str) -> Q:
        start, end = self.period()
        q = Q()
        if start is not None:
            q &= Q(**{f"{field_name}__gte": start})
        if end is not None:
            q &= Q(**{f"{field_name}__lt": end})
        return q

    def scoped_deals(self) -> QuerySet[Deal]:
        """The deals the actor sees, on the reporting database, with the slice filters (any pipeline)."""
        return self.filtered(Deal.objects.using(self.alias).filter(self.scope("deals.Deal"), is_archived=False))

    def deals(self) -> QuerySet[Deal]:
        """:meth:`scoped_deals` now in the chosen pipeline."""
        qs = self.scoped_deals()
        if self.params.pipeline is not None:
            qs = qs.filter(pipeline_id=self.params.pipeline.pk)
        return qs

    def filtered(self, qs: QuerySet, base: sl.Base = sl.DEAL_BASE) -> QuerySet:
        for key, value in self.params.filters:
            qs = qs.filter(**sl.filter_kwargs(sl.SLICES[key], value, base=base))
        return qs

    def grouped(self, qs: QuerySet, *, inputs: dict[str, Any], aggs: list[Agg], date_field: str | None = None,
                extra: dict[str, Any] | None = None, base: sl.Base = sl.DEAL_BASE,
                per: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Group ``qs`` by the chosen slices (plus ``extra`` keys) and return rows with slice columns."""
        groups = self.group_exprs(date_field=date_field, base=base)
        for key, expr in (extra or {}).items():
            groups[key] = expr
        out = []
        for raw in aggregate(qs, groups=groups, inputs=inputs, aggs=aggs, per=per):
            row = self.slice_cells(raw)
            for key in extra or {}:
                row[key] = raw[key]
            for agg in aggs:
                row[agg.key] = raw[agg.key]
            out.append(row)
        return out

    def group_exprs(self, *, date_field: str | None = None, base: sl.Base = sl.DEAL_BASE) -> dict[str, Any]:
        """The chosen slices as group expressions ``g<i>`` (value) and ``g<i>_l<j>`` (label parts)."""
        groups: dict[str, Any] = {}
        for i, key in enumerate(self.params.by):
            slice_ = sl.SLICES[key]
            groups[f"g{i}"] = sl.value_expr(slice_, date_field=date_field or self.report.date_field, base=base)
            for j, expr in enumerate(sl.label_exprs(slice_, base=base)):
                groups[f"g{i}_l{j}"] = expr
        return groups

    def slice_cells(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The output slice columns of a raw grouped row (keys ``g<i>``, ``g<i>_l<j>``)."""
        row: dict[str, Any] = {}
        for i, key in enumerate(self.params.by):
            slice_ = sl.SLICES[key]
            labels = [raw[f"g{i}_l{j}"] for j in range(len(slice_.label_fields) if slice_.kind == "ref" else 0)]
            row.update(sl.compose(slice_, raw[f"g{i}"], labels))
        return row

    def slice_columns(self) -> list[Column]:
        cols = []
        for key in self.params.by:
            slice_ = sl.SLICES[key]
            if slice_.kind == "ref":
                cols.append(Column(f"{key}_id", "id", "id"))
            cols.append(Column(key, slice_.label, "date" if slice_.is_time else "str"))
        return cols


def sort_key(row: dict[str, Any], keys: Iterable[str]) -> tuple:
    """Rows in slice order: labels alphabetically, periods chronologically, "none" last."""
    out: list[Any] = []
    for key in keys:
        value = row.get(key)
        out.append((value is None, str(value).casefold() if not isinstance(value, dt.date) else value.isoformat()))
    return tuple(out)


class Report:
    """A report definition. Subclasses set the class attributes and implement :meth:`rows`."""

    name: ClassVar[str]
    title: ClassVar[Any]
    description: ClassVar[Any] = ""
    period: ClassVar[bool] = True  # accepts --from/--to
    period_required: ClassVar[bool] = False
    date_field: ClassVar[str | None] = "closed_at"
    modes: ClassVar[tuple[str, ...]] = ()
    # Revenue bases a report can count by (``revenue=won|cash``, the first is the default): won deals, or
    # payments received in the period (billing).
    revenue_bases: ClassVar[tuple[str, ...]] = ()
    slices: ClassVar[tuple[str, ...]] = sl.DEAL_SLICES
    default_by: ClassVar[tuple[str, ...]] = ()
    needs_pipeline: ClassVar[bool] = False  # without --pipeline: the first active pipeline
    chart: ClassVar[str] = "bar"  # bar, line, funnel, heatmap, none
    chart_value: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    # (URL name, label, who may follow it: a function of the user) shown on the report page
    page_links: ClassVar[tuple[tuple[str, Any, Any], ...]] = ()

    def rows(self, run: Run) -> list[dict[str, Any]]:
        raise NotImplementedError

    def output_columns(self, run: Run) -> list[Column]:
        return [*run.slice_columns(), *self.columns]

    def drill(self, params: ReportParams, row: dict[str, Any]) -> dict[str, str]:
        """Links from a row's numbers to the lists behind them (column key → URL); none by default."""
        return {}

    def drills(self, params: ReportParams, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
        """:meth:`drill` for every row (a report needing more than the row overrides this, in O(1) queries)."""
        return [self.drill(params, row) for row in rows]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": str(self.title), "description": str(self.description),
            "period": self.period, "period_required": self.period_required,
            "modes": list(self.modes), **({"revenue": list(self.revenue_bases)} if self.revenue_bases else {}),
            "by": list(self.slices), "default_by": list(self.default_by),
            "columns": [c.key for c in self.columns],
        }


REPORTS: dict[str, Report] = {}


def register(cls: type[Report]) -> type[Report]:
    REPORTS[cls.name] = cls()
    return cls


def get_report(name: str) -> Report:
    _load()
    report = REPORTS.get(name)
    if report is None:
        raise NotFound(_("Unknown report “%(name)s”. Known: %(known)s.")
                       % {"name": name, "known": ", ".join(REPORTS)}, field="report")
    return report


def list_reports() -> list[Report]:
    _load()
    return list(REPORTS.values())


def _load() -> None:
    from . import reports  # noqa: F401  (registers the definitions)


def _date(raw: Any, key: str) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError as exc:
        raise DomainError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw}, field=key) from exc


def parse_params(report: Report, raw: Mapping[str, Any]) -> ReportParams:
    """Validate untrusted parameters (a query string, CLI flags): every bad value is a field error."""
    date_from, date_to = _date(raw.get("from"), "from"), _date(raw.get("to"), "to")
    if not report.period and (date_from or date_to):
        raise DomainError(_("The report “%(name)s” has no period: it shows the current state.")
                          % {"name": report.name}, field="from")
    if report.period_required and not (date_from and date_to):
        raise DomainError(_("The report “%(name)s” needs a period: give both from and to.")
                          % {"name": report.name}, field="from")
    if date_from and date_to and date_from > date_to:
        raise DomainError(_("The period starts after it ends."), field="from")
    pipeline = None
    slug = (raw.get("pipeline") or "").strip()
    if slug:
        pipeline = Pipeline.objects.filter(slug=slug).first()
        if pipeline is None:
            raise DomainError(_("Unknown pipeline “%(slug)s”.") % {"slug": slug}, field="pipeline")
    elif report.needs_pipeline:
        pipeline = Pipeline.objects.filter(is_active=True).order_by("sort_order", "name", "id").first()
        if pipeline is None:
            raise DomainError(_("There is no pipeline yet."), field="pipeline")
    by_raw = raw.get("by")
    if by_raw is None:
        by = report.default_by
    else:
        by = tuple(part.strip() for part in str(by_raw).split(",") if part.strip())
    for key in by:
        if key not in report.slices:
            raise DomainError(_("The report “%(name)s” cannot be grouped by “%(by)s”. Choose from: %(known)s.")
                              % {"name": report.name, "by": key, "known": ", ".join(report.slices)}, field="by")
    if len(by) > 2 or len(set(by)) != len(by):
        raise DomainError(_("Group by at most two different slices."), field="by")
    if sum(sl.SLICES[k].is_time for k in by) > 1:
        raise DomainError(_("Group by at most one period (week, month or quarter)."), field="by")
    mode = (raw.get("mode") or "").strip()
    if mode and mode not in report.modes:
        if not report.modes:
            raise DomainError(_("The report “%(name)s” has no modes.") % {"name": report.name}, field="mode")
        raise DomainError(_("Mode must be one of: %(modes)s.") % {"modes": ", ".join(report.modes)}, field="mode")
    mode = mode or (report.modes[0] if report.modes else "")
    revenue = str(raw.get("revenue") or "").strip()
    if revenue and revenue not in report.revenue_bases:
        if not report.revenue_bases:
            raise DomainError(_("The report “%(name)s” has no revenue basis to choose.") % {"name": report.name},
                              field="revenue")
        raise DomainError(_("Revenue must be one of: %(bases)s.") % {"bases": ", ".join(report.revenue_bases)},
                          field="revenue")
    revenue = revenue or (report.revenue_bases[0] if report.revenue_bases else "")
    filters: list[tuple[str, Any]] = []
    for key in report.slices:
        value = raw.get(key) if key != "pipeline" else None  # "pipeline" is the slug parameter
        if value in (None, ""):
            continue
        filters.append((key, _filter_value(sl.SLICES[key], str(value).strip())))
    return ReportParams(date_from=date_from, date_to=date_to, pipeline=pipeline, by=by, mode=mode,
                        filters=tuple(filters), revenue=revenue)


def _filter_value(slice_: sl.Slice, value: str) -> Any:
    if slice_.is_time:
        raise DomainError(_("A period slice cannot be a filter; use from and to."), field=slice_.key)
    if slice_.kind == "flag":
        if value not in ("new", "current"):
            raise DomainError(_("Choose new or current."), field=slice_.key)
        return value
    if value == "none":
        return None
    number = parse_id(value) if value.isascii() and value.isdigit() else None
    if number is None:
        raise DomainError(_("“%(value)s” is not an id.") % {"value": value}, field=slice_.key)
    return number


@dataclass
class ReportResult:
    report: Report
    params: ReportParams
    actor: User
    columns: list[Column]
    rows: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        params = self.params.as_dict()
        params["as"] = self.actor.username or None
        params.update(self.extra)
        return {"report": self.report.name, "params": params, "rows": self.rows}


def run_report(*, actor: User, name: str, params: Mapping[str, Any] | ReportParams,
               now: dt.datetime | None = None) -> ReportResult:
    """Validate the parameters and compute the report for the actor's scope."""
    if actor is None or not actor.is_active:
        raise DomainError(_("You must be signed in."), field="as")
    report = get_report(name)
    parsed = params if isinstance(params, ReportParams) else parse_params(report, params)
    if parsed.pipeline is not None and not pipeline_allowed(actor, parsed.pipeline.pk):
        chosen = not isinstance(params, ReportParams) and (params.get("pipeline") or "").strip()
        first = Pipeline.objects.filter(is_active=True, pk__in=sorted(allowed_pipeline_ids(actor) or [])).order_by(
            "sort_order", "name", "id").first()
        if chosen or first is None:  # a pipeline outside his access is as unknown as a missing one
            raise DomainError(_("Unknown pipeline “%(slug)s”.") % {"slug": chosen or parsed.pipeline.slug},
                              field="pipeline")
        parsed = dataclasses.replace(parsed, pipeline=first)
    run = Run(report=report, actor=actor, params=parsed, alias=reporting_db(), now=now or timezone.now())
    rows = report.rows(run)
    extra = {"at": run.now.isoformat()} if not report.period else {}
    extra.update(run.notes)
    return ReportResult(report=report, params=parsed, actor=actor, columns=report.output_columns(run), rows=rows,
                        extra=extra)




# --- drill-down: the deal list (``deals.selectors.DealFilter``) filtered to the deals behind a number ----------

# A slice's value on a row → the deal list's parameter (``team`` is the team recorded on the deal).
DRILL_PARAMS = {"client_type": "client_type", "manager": "owner", "team": "deal_team", "product": "product",
                "channel": "channel", "source": "source", "campaign": "campaign", "target_audience": "audience",
                "region": "region", "industry": "industry", "pipeline": "pipeline"}


def _period_end(start: dt.date, kind: str) -> dt.date:
    """The last day of the week/month/quarter starting on ``start``."""
    if kind == "week":
        return start + dt.timedelta(days=6)
    months = 3 if kind == "quarter" else 1
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def deal_drill(params: ReportParams, row: dict[str, Any] | None = None, *, date: str | None,
               people: dict[str, str] | None = None) -> dict[str, Any]:
    """The deal list query for the deals behind ``row``: the report's pipeline, filters and period (on
    ``date``: ``closed`` or ``created``), narrowed to the row's slice values (a period slice narrows the
    period). ``people`` renames the parameter of a slice (``team`` → ``team``: the owner's current team)."""
    names = {**DRILL_PARAMS, **(people or {})}
    query: dict[str, Any] = {}
    if params.pipeline is not None:
        query["pipeline"] = params.pipeline.pk
    for key, value in params.filters:
        query[names[key]] = "none" if value is None else value
    first, last = params.date_from, params.date_to
    for key in params.by:
        slice_ = sl.SLICES[key]
        if slice_.is_time:
            start = (row or {}).get(key)
            if start is None:
                continue
            first = max(first, start) if first else start
            end = _period_end(start, key)
            last = min(last, end) if last else end
        elif slice_.kind == "flag":
            query[names[key]] = row[key]
        else:
            value = row.get(f"{key}_id")
            query[names[key]] = "none" if value is None else value
    if date and first:
        query[f"{date}_from"] = first.isoformat()
    if date and last:
        query[f"{date}_to"] = last.isoformat()
    return query


def deal_url(query: Mapping[str, Any], **more: Any) -> str:
    """The deal list URL for ``query`` plus ``more`` (a ``None`` value drops a key)."""
    from django.urls import reverse
    from django.utils.http import urlencode

    merged = {k: v for k, v in {**query, **more}.items() if v is not None}
    return f"{reverse('deals:list')}?{urlencode(merged)}"


def task_url(**query: Any) -> str:
    """The task list (``/tasks/``) filtered by ``assignee``, ``status``, ``due``."""
    from django.utils.http import urlencode

    return f"/tasks/?{urlencode({k: v for k, v in query.items() if v is not None})}"
