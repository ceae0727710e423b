"""The funnel of one pipeline (DESIGN.md §5): per stage reached, converted, drop-off, time on the stage.

**Reached S**: S is at or before the deal's furthest visited stage in the pipeline's current order.

- *cohort* mode: the deals created in the period that are in the pipeline now. Reached comes from one
  grouped scan of those deals by their furthest stage position; drop-off at S = lost deals whose furthest
  stage is S; ``won`` and ``open`` likewise, so ``sum(dropped + won + open)`` is the cohort.
- *flow* mode: the log in the period. A deal reached S when one of its entries into the pipeline's stages
  (created, forward, skip, pipeline change) crossed S: it came from before S (or from outside the pipeline)
  and arrived at S or beyond; a skip passes the stages between; each deal counts once per stage however
  often it went back and forth. Drop-off, won: deals lost/won in the period, by their furthest stage.

``converted`` from S is ``reached`` of the next stage; from the last stage it is the won deals whose
furthest stage is the last one. Days on a stage are the seconds of a deal's stays on it (all its visits
summed, one value per deal), over the deals that left it (cohort: the cohort's; flow: left in the period).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from django.db import connections
from django.db.models import Case, F, IntegerField, Max, OuterRef, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from voronka.deals.models import DealStageStay, DealStatus, StageTransition, TransitionKind
from voronka.pipelines.models import Stage

from .. import slices as sl
from ..engine import Column, Report, Run, deal_drill, deal_url, register, sort_key
from ..sql import Agg, as_int, days, inner_sql, outer_aggregate, ratio

ENTRY_KINDS = (TransitionKind.CREATED, TransitionKind.FORWARD, TransitionKind.SKIP, TransitionKind.PIPELINE_CHANGE)
LOG_BASE = sl.Base(prefix="deal__")


def _flag(**condition: Any) -> Case:
    return Case(When(then=Value(1), **condition), default=Value(0), output_field=IntegerField())


def cohort_furthest(pipeline_id: int):
    """The furthest visited stage's position of a deal now in ``pipeline_id``: the maintained reference
    ``Deal.furthest_stage`` (one grouped scan), else the log."""
    if sl.deal_has("furthest_stage"):
        return F("furthest_stage__position")
    return furthest_position(pipeline_id)


def furthest_position(pipeline_id: int, deal_ref: str = "pk"):
    """The position of the furthest stage of ``pipeline_id`` the deal visited (from its log)."""
    visited = (StageTransition.objects.filter(deal_id=OuterRef(deal_ref), to_stage__pipeline_id=pipeline_id)
               .order_by().values("deal_id").annotate(m=Max("to_stage__position")).values("m"))
    return Subquery(visited, output_field=IntegerField())


def next_stage(pipeline_id: int) -> dict[int, int | None]:
    """Each stage of the pipeline → the next one in the current order (``None`` after the last); one query."""
    ids = list(Stage.objects.filter(pipeline_id=pipeline_id).order_by("position", "id").values_list("pk", flat=True))
    return dict(zip(ids, [*ids[1:], None], strict=True))


def stage_links(base: dict[str, Any], row: dict[str, Any], following: dict[int, int | None]) -> dict[str, str]:
    """The cohort funnel's counts of one stage row as deal list links (``base``: the row's deals)."""
    stage = row["stage_id"]
    after = following.get(stage)
    converted = (deal_url(base, reached=after) if after is not None
                 else deal_url(base, status=DealStatus.WON, furthest=stage))
    return {"reached": deal_url(base, reached=stage), "converted": converted,
            "dropped": deal_url(base, status=DealStatus.LOST, furthest=stage),
            "won": deal_url(base, status=DealStatus.WON, furthest=stage),
            "open": deal_url(base, status=DealStatus.OPEN, furthest=stage)}


@register
class Funnel(Report):
    name = "funnel"
    title = _("Funnel")
    description = _("Per stage: deals that reached it, converted to the next, conversion, drop-off, share of "
                    "the first stage, mean and median days on it. Cohort: deals created in the period; flow: "
                    "the stage changes in the period.")
    date_field = "created_at"
    modes = ("cohort", "flow")
    needs_pipeline = True
    chart = "funnel"
    chart_value = "reached"
    columns = (Column("stage_id", "id", "id"), Column("stage", _("stage"), "str"),
               Column("reached", _("reached")), Column("converted", _("converted")),
               Column("conversion_pct", _("conversion, %"), "pct"), Column("dropped", _("dropped")),
               Column("won", _("won")), Column("open", _("open")),
               Column("share_pct", _("of the first stage, %"), "pct"),
               Column("mean_days", _("mean, days"), "days"), Column("median_days", _("median, days"), "days"))

    def drills(self, params, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Cohort mode: each count to the deals behind it (reached S; dropped/won/open: furthest stage S)."""
        if params.mode != "cohort" or params.pipeline is None:
            return [{} for _row in rows]
        return [stage_links(deal_drill(params, row, date="created"), row, next_stage(params.pipeline.pk))
                for row in rows]

    def rows(self, run: Run, *, with_stays: bool = True) -> list[dict[str, Any]]:
        """The rows; ``with_stays=False`` leaves the days on stages out (``None``), for manager-stage."""
        pipeline = run.params.pipeline
        stages = list(Stage.objects.using(run.alias).filter(pipeline=pipeline).order_by("position", "id"))
        if run.params.mode == "flow":
            reached, ends, stay = self._flow(run, pipeline.pk)
        else:
            reached, ends, stay = self._cohort(run, pipeline.pk, with_stays=with_stays)
        keys = [k for key in run.params.by for k in sl.SLICES[key].output_keys()]
        groups = {*reached, *ends, *(g for g, _s in stay)}
        out = []
        for group in groups:
            cells = dict(zip(keys, group, strict=True))
            per_stage = reached.get(group, {})
            first = per_stage.get(stages[0].pk, 0) if stages else 0
            for index, stage in enumerate(stages):
                count = per_stage.get(stage.pk, 0)
                end = ends.get(group, {}).get(stage.position, {})
                if index + 1 < len(stages):
                    converted = per_stage.get(stages[index + 1].pk, 0)
                else:
                    converted = end.get("won", 0)
                mean, median = stay.get((group, stage.pk), (None, None))
                out.append({**cells, "stage_id": stage.pk, "stage": stage.name, "reached": count,
                            "converted": converted, "conversion_pct": ratio(converted, count, pct=True),
                            "dropped": end.get("lost", 0), "won": end.get("won", 0),
                            "open": end.get("open", 0 if run.params.mode == "cohort" else None),
                            "share_pct": ratio(count, first, pct=True), "mean_days": days(mean),
                            "median_days": days(median), "_pos": index})
        out.sort(key=lambda r: (sort_key(r, run.params.by), r["_pos"]))
        for row in out:
            del row["_pos"]
        return out

    # Cohort: one grouped scan of the deals by furthest position, one of their log for days on stages.
    def _cohort(self, run: Run, pipeline_id: int, *, with_stays: bool = True):
        cohort = run.deals().filter(run.period_q("created_at"))
        counts = run.grouped(
            cohort, extra={"fpos": cohort_furthest(pipeline_id)},
            inputs={"won": _flag(status=DealStatus.WON), "lost": _flag(status=DealStatus.LOST),
                    "open": _flag(status=DealStatus.OPEN)},
            aggs=[Agg("deals", "count"), Agg("won_n", "sum", "won"), Agg("lost_n", "sum", "lost"),
                  Agg("open_n", "sum", "open")])
        stages = list(Stage.objects.using(run.alias).filter(pipeline_id=pipeline_id).values_list("pk", "position"))
        reached: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        ends: dict[tuple, dict[int, dict[str, int]]] = defaultdict(dict)
        for row in counts:
            group = self._group(run, row)
            if row["fpos"] is None:
                continue
            for pk, position in stages:
                if position <= row["fpos"]:
                    reached[group][pk] += as_int(row["deals"])
            end = ends[group].setdefault(row["fpos"], {"won": 0, "lost": 0, "open": 0})
            for key in ("won", "lost", "open"):
                end[key] += as_int(row[f"{key}_n"])
        if not with_stays:
            return reached, ends, {}
        # Days on stages from the per-(deal, stage) summary kept with the log (``DealStageStay``): a row per
        # stage a cohort deal left at least once, its stays already summed; no per-deal sum over the log.
        summary = DealStageStay.objects.using(run.alias).filter(
            deal__in=cohort.values("pk"), stage__pipeline_id=pipeline_id, last_left_at__isnull=False)
        groups = self._slice_groups(run, LOG_BASE, "deal__created_at")
        groups["stage"] = F("stage_id")
        sql, params = inner_sql(summary, groups=groups, inputs={"secs": F("seconds")})
        return reached, ends, self._medians(run, list(groups), sql, params)

    def _stays(self, run: Run, log) -> dict[tuple, tuple[Any, Any]]:
        groups = self._slice_groups(run, LOG_BASE, "deal__created_at" if run.params.mode != "flow" else "at")
        groups["stage"] = F("from_stage_id")
        sql, params = inner_sql(log, groups=groups, inputs={"secs": F("seconds_in_from_stage")},
                                per={"deal": F("deal_id")})
        return self._medians(run, list(groups), sql, params)

    def _medians(self, run: Run, names: list[str], sql: str, params: list[Any]) -> dict[tuple, tuple[Any, Any]]:
        """Mean and exact median of ``k_secs`` per group of ``sql``'s rows, in one grouped statement.

        The rows are grouped by the slice values alone (a label follows from its value: ``MIN``), so the
        database sorts numbers. PostgreSQL has the exact median as an aggregate (``percentile_cont(0.5)``: the
        middle value or the mean of the two middle ones, exact for whole seconds); SQLite has none, so each
        group's seconds come as one text (``GROUP_CONCAT``) and the median is taken here (``statistics.median``)
        without a Python object per stay. Sums and counts are exact integers. (A window median over every
        deal's stays sorted the whole log in SQL and was most of the funnel's time, issue 8.)
        """
        values = ", ".join(f'MIN("k_{g}")' if "_l" in g else f'"k_{g}"' for g in names)
        keys = ", ".join(f'"k_{g}"' for g in names if "_l" not in g)
        connection = connections[run.alias]
        if connection.vendor == "postgresql":
            middle = 'percentile_cont(0.5) WITHIN GROUP (ORDER BY "k_secs")'
        else:
            middle = 'GROUP_CONCAT(CAST("k_secs" AS INTEGER))'
        out: dict[tuple, tuple[Any, Any]] = {}
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT {values}, SUM("k_secs"), COUNT("k_secs"), {middle} FROM ({sql}) base '
                           f'WHERE "k_secs" IS NOT NULL GROUP BY {keys}', params)
            for *group_keys, total, count, median in cursor.fetchall():
                if isinstance(median, str):
                    median = statistics.median(sorted(map(int, median.split(","))))
                raw = dict(zip(names, group_keys, strict=True))
                out[(self._group(run, raw), raw["stage"])] = (int(total) / int(count), float(median))
        return out

    # Flow: the log in the period crossed with the pipeline's stages, distinct deals per stage.
    def _flow(self, run: Run, pipeline_id: int):
        visible = run.scoped_deals().values("pk")
        period = run.period_q("at")
        entries = StageTransition.objects.using(run.alias).filter(
            period, deal__in=visible, kind__in=ENTRY_KINDS, to_stage__pipeline_id=pipeline_id)
        groups = self._slice_groups(run, LOG_BASE, "at")
        sql, params = inner_sql(entries, groups={**groups, "deal": F("deal_id")}, inputs={
            "to_pos": F("to_stage__position"),
            "from_pos": Case(When(from_stage__pipeline_id=pipeline_id, then=F("from_stage__position")), default=None,
                             output_field=IntegerField())})
        crossed = (f'SELECT base.*, s.id AS "k_stage" FROM ({sql}) base JOIN pipelines_stage s '
                   f'ON s.pipeline_id = %s AND s.position <= base."k_to_pos" '
                   f'AND (base."k_from_pos" IS NULL OR base."k_from_pos" < s.position)')
        rows = outer_aggregate(run.alias, crossed, [*params, pipeline_id], groups=[*groups, "stage"],
                               aggs=[Agg("deals", "count_distinct", "deal")])
        reached: dict[tuple, dict[int, int]] = defaultdict(dict)
        for row in rows:
            reached[self._group(run, row)][row["stage"]] = as_int(row["deals"])
        closes = StageTransition.objects.using(run.alias).filter(
            period, deal__in=visible, kind__in=(TransitionKind.WON, TransitionKind.LOST),
            from_stage__pipeline_id=pipeline_id)
        sql, params = inner_sql(closes, groups={**groups, "fpos": furthest_position(pipeline_id, "deal_id"),
                                                "kind": F("kind")}, inputs={"deal": F("deal_id")})
        ends: dict[tuple, dict[int, dict[str, int]]] = defaultdict(dict)
        for row in outer_aggregate(run.alias, sql, params, groups=[*groups, "fpos", "kind"],
                                   aggs=[Agg("deals", "count_distinct", "deal")]):
            end = ends[self._group(run, row)].setdefault(row["fpos"], {"won": 0, "lost": 0, "open": None})
            end[row["kind"]] += as_int(row["deals"])
        left = StageTransition.objects.using(run.alias).filter(period, deal__in=visible,
                                                               from_stage__pipeline_id=pipeline_id)
        return reached, ends, self._stays(run, left)

    @staticmethod
    def _slice_groups(run: Run, base: sl.Base, date_field: str) -> dict[str, Any]:
        groups: dict[str, Any] = {}
        for i, key in enumerate(run.params.by):
            slice_ = sl.SLICES[key]
            groups[f"g{i}"] = sl.value_expr(slice_, date_field=date_field, base=base)
            for j, expr in enumerate(sl.label_exprs(slice_, base=base)):
                groups[f"g{i}_l{j}"] = expr
        return groups

    @staticmethod
    def _group(run: Run, raw: dict[str, Any]) -> tuple:
        """The output slice cells of a raw row, as a hashable key (in output column order)."""
        cells: dict[str, Any] = {}
        for i, key in enumerate(run.params.by):
            slice_ = sl.SLICES[key]
            if f"g{i}" in raw:
                labels = [raw[f"g{i}_l{j}"] for j in range(len(slice_.label_fields) if slice_.kind == "ref" else 0)]
                cells.update(sl.compose(slice_, raw[f"g{i}"], labels))
            else:  # a row from Run.grouped: the slice cells are already composed
                cells.update({k: raw[k] for k in slice_.output_keys()})
        return tuple(cells.values())
