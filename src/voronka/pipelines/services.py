"""Writes of pipelines and stages, and installation of the YAML blueprints."""

from __future__ import annotations

import copy
import functools
import logging
from pathlib import Path
from typing import Any

import yaml
from django.db import connection, transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from voronka.accounts.models import Role, Team, User
from voronka.accounts.permissions import forget_pipeline_access, require_perm
from voronka.accounts.selectors import pool_members
from voronka.audit.services import diff
from voronka.catalog.fields import deal_fields
from voronka.catalog.models import CustomFieldDefinition
from voronka.catalog.services import create_custom_field, seed_dictionaries
from voronka.core.errors import DomainError
from voronka.core.params import parse_id
from voronka.core.validation import COMMENT_MAX, check_text, clean_or_raise
from voronka.events.services import record_event
from voronka.pipelines.actions import check_on_enter
from voronka.pipelines.models import (
    STAGE_OWNER_ROLES,
    OwnerMode,
    Pipeline,
    PipelineAccess,
    Stage,
    StageQuestion,
)
from voronka.pipelines.selectors import furthest_visited_stage

logger = logging.getLogger(__name__)

BLUEPRINT_DIR = Path(__file__).resolve().parent / "blueprints"
BLUEPRINTS = ("inbound", "outreach", "renewal", "return")
STAGE_TEXT_LIMITS = {"entry_result": COMMENT_MAX, "goal": COMMENT_MAX, "instructions": 20_000}
INSTRUCTIONS_MAX = 20_000  # a pipeline's instructions (Markdown), like a stage's
STAGE_FIELDS = ("name", "entry_result", "goal", "max_days", "probability", "owner_role", "owner_team",
                "owner_user", "owner_mode", "required_fields", "questions_required", "on_enter", "instructions")
# Not columns: the stage's questions (catalogue questions, in order) and texts of questions to add.
STAGE_QUESTION_FIELDS = ("questions", "new_questions")


def _check_required_fields(keys: list[str], *, keep: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Keys of the field registry a stage may require (``keep``: those it has, even of a deactivated field)."""
    return deal_fields().check_requirable(keys, keep=keep)


@transaction.atomic
def create_pipeline(*, actor: User, name: str, slug: str = "", kind: str = "custom",
                    description: str = "") -> Pipeline:
    require_perm(actor, "configure")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the pipeline name."), field="name")
    slug = slugify(slug or name) or f"pipeline-{Pipeline.objects.count() + 1}"
    if Pipeline.objects.filter(slug=slug).exists():
        raise DomainError(_("A pipeline with this slug already exists."), field="slug")
    order = (Pipeline.objects.aggregate(m=Max("sort_order"))["m"] or 0) + 1
    description = check_text(description or "", field="description", limit=COMMENT_MAX)
    pipeline = Pipeline(name=name, slug=slug, kind=kind, description=description, sort_order=order)
    clean_or_raise(pipeline)
    pipeline.save()
    record_event(actor=actor, verb="pipeline.created", target=pipeline)
    return pipeline


@transaction.atomic
def add_stage(*, actor: User, pipeline: Pipeline, name: str, slug: str = "", position: int | None = None,
              **fields: Any) -> Stage:
    require_perm(actor, "configure")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the stage name."), field="name")
    slug = slugify(slug or name) or f"stage-{pipeline.stages.count() + 1}"
    if pipeline.stages.filter(slug=slug).exists():
        slug = f"{slug}-{pipeline.stages.count() + 1}"
    if position is None:
        position = (pipeline.stages.aggregate(m=Max("position"))["m"] or 0) + 1
    stage = Stage(pipeline=pipeline, name=name, slug=slug, position=position)
    questions = {k: fields.pop(k) for k in STAGE_QUESTION_FIELDS if k in fields}
    _apply_stage_fields(stage, fields)
    stage.save()
    if questions:
        _set_stage_questions(actor=actor, stage=stage, **questions)
    record_event(actor=actor, verb="stage.created", target=stage, data={"pipeline": pipeline.pk})
    return stage


def _apply_stage_fields(stage: Stage, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(STAGE_FIELDS)
    if unknown:
        raise DomainError(_("Unknown stage fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if "required_fields" in fields:
        fields["required_fields"] = _check_required_fields(
            fields["required_fields"] or [], keep=tuple(stage.required_fields or []) if stage.pk else ())
    if "on_enter" in fields:
        fields["on_enter"] = check_on_enter(fields["on_enter"])
    owner_rule = any(k in fields for k in OWNER_RULE_FIELDS)
    if "questions_required" in fields:
        fields["questions_required"] = bool(fields["questions_required"])
    for key, limit in STAGE_TEXT_LIMITS.items():
        if key in fields:
            fields[key] = check_text(str(fields[key] or ""), field=key, limit=limit)
    for key, value in fields.items():
        setattr(stage, key, value)
    if not (stage.name or "").strip():
        raise DomainError(_("Enter the stage name."), field="name")
    if owner_rule:
        _check_owner_rule(stage)
    clean_or_raise(stage)


OWNER_RULE_FIELDS = ("owner_user", "owner_team", "owner_role", "owner_mode")
POOL_MODES = (OwnerMode.ROUND_ROBIN, OwnerMode.LEAST_LOADED)


def _check_owner_rule(stage: Stage) -> None:
    """The stage's conveyor owner is one rule that can be followed now: a person (active, may own deals), a team
    (``lead``: its active lead takes the deal, the default; round-robin or least loaded: among its active
    managers and lead, of whom there must be one) or a role (round-robin or least loaded among the active
    people with that role, in the deal's team when it has any, else everywhere; somebody must have it)."""
    mode = stage.owner_mode = str(stage.owner_mode or "")
    role = stage.owner_role = str(stage.owner_role or "")
    given = [f for f, v in (("owner_user", stage.owner_user_id), ("owner_team", stage.owner_team_id),
                            ("owner_role", role)) if v]
    if len(given) > 1:
        raise DomainError(_("A stage has one owner: a person, a team or a role; clear the others."),
                          field=given[1], code="owner_ambiguous")
    if stage.owner_user_id:
        user = stage.owner_user
        if not user.is_active or user.is_system or user.role == Role.ANALYST:
            raise DomainError(_("Choose an active user who can own deals."), field="owner_user")
        if mode:
            raise DomainError(_("A person takes the deal himself: the way of choosing is for a team or a role."),
                              field="owner_mode")
    elif stage.owner_team_id:
        team = Team.objects.select_related("lead").get(pk=stage.owner_team_id)
        mode = stage.owner_mode = mode or OwnerMode.LEAD
        if mode == OwnerMode.LEAD:
            if team.lead is None or not team.lead.is_active:
                raise DomainError(_("The team “%(team)s” has no active lead: set one, or choose round-robin or the "
                                    "least loaded among its members.") % {"team": team.name}, field="owner_mode",
                                  code="no_team_lead")
        elif mode in POOL_MODES:
            if not pool_members(team_id=team.pk).exists():
                raise DomainError(_("The team “%(team)s” has no active manager or lead to hand deals to.")
                                  % {"team": team.name}, field="owner_team", code="team_empty")
        else:
            raise DomainError(_("Unknown way of choosing the owner."), field="owner_mode")
    elif role:
        if role not in STAGE_OWNER_ROLES:
            raise DomainError(_("Unknown role “%(role)s”: a stage is handed to managers, team leads or heads of "
                                "sales.") % {"role": role[:40]}, field="owner_role", code="unknown_role")
        mode = stage.owner_mode = mode or OwnerMode.ROUND_ROBIN
        if mode not in POOL_MODES:
            raise DomainError(_("A role hands the deal round-robin or to the least loaded."), field="owner_mode")
        if not pool_members(role=role).exists():
            raise DomainError(_("Nobody active has the role “%(role)s”.") % {"role": Role(role).label},
                              field="owner_role", code="role_empty")
    elif mode:
        raise DomainError(_("Choose the team or the role this way of choosing applies to."), field="owner_mode")


def pipeline_question_set_name(pipeline: Pipeline) -> str:
    """Questions a pipeline's stages add to the catalogue go to a question set named after the pipeline."""
    return pipeline.name


def _set_stage_questions(*, actor: User | None, stage: Stage, questions: list | None = None,
                         new_questions: list[str] | None = None) -> list[int]:
    """Link the stage to ``questions`` (catalogue questions or their ids, in this order), then to each text
    of ``new_questions``: an existing question with that text, else a new one in the pipeline's set."""
    from voronka.clients.models import Question
    from voronka.clients.services import ensure_question, ensure_question_set

    ids: list[int] = []
    if questions is None:
        ids = list(stage.question_links.order_by("position", "id").values_list("question_id", flat=True))
    else:
        for item in questions:
            pk = item.pk if isinstance(item, Question) else parse_id(item)
            if pk is None:
                raise DomainError(_("Unknown qualification question."), field="questions")
            ids.append(pk)
        if len(set(Question.objects.filter(pk__in=ids).values_list("pk", flat=True))) != len(set(ids)):
            raise DomainError(_("Unknown qualification question."), field="questions")
    texts = [" ".join(str(t or "").split()) for t in new_questions or []]
    if any(texts):
        question_set = ensure_question_set(actor=actor, name=pipeline_question_set_name(stage.pipeline))
        for text in texts:
            if text:
                ids.append(ensure_question(actor=actor, text=text, question_set=question_set).pk)
    ids = list(dict.fromkeys(ids))
    links = {link.question_id: link for link in StageQuestion.objects.filter(stage=stage)}
    StageQuestion.objects.filter(stage=stage).exclude(question_id__in=ids).delete()
    for position, question_id in enumerate(ids, start=1):
        link = links.get(question_id)
        if link is None:
            StageQuestion.objects.create(stage=stage, question_id=question_id, position=position)
        elif link.position != position:
            StageQuestion.objects.filter(pk=link.pk).update(position=position)
    return ids


@transaction.atomic
def update_stage(*, actor: User, stage: Stage, **fields: Any) -> Stage:
    """Change the rulebook of a stage; ``questions``/``new_questions`` set the questions it asks."""
    require_perm(actor, "configure")
    questions = {k: fields.pop(k) for k in STAGE_QUESTION_FIELDS if k in fields}
    before = {f: getattr(stage, f) for f in fields}
    _apply_stage_fields(stage, fields)
    stage.save()
    changes = diff(stage, before, fields)
    if questions:
        old = list(stage.question_links.order_by("position", "id").values_list("question_id", flat=True))
        new = _set_stage_questions(actor=actor, stage=stage, **questions)
        if new != old:
            changes["questions"] = (",".join(map(str, old)), ",".join(map(str, new)))
    record_event(actor=actor, verb="stage.updated", target=stage, changes=changes)
    return stage


def hold_stage_order(pipeline_id: int) -> None:
    """Keep the pipeline's stage order from changing until the caller's transaction ends.

    A move compares stage positions to keep ``Deal.furthest_stage``, and ``reorder_stages`` recomputes it from
    the log: on PostgreSQL the move takes the pipeline row ``FOR SHARE`` (moves do not wait for each other) and
    the reorder takes it ``FOR UPDATE``, so each one sees the other's commit. SQLite runs one writer at a time.
    Callers take it before the deal's row lock, as ``reorder_stages`` takes it before updating deals.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {Pipeline._meta.db_table} WHERE id = %s FOR SHARE", [pipeline_id])


@transaction.atomic
def reorder_stages(*, actor: User, pipeline: Pipeline, stage_ids: list[int]) -> list[Stage]:
    """Set stage positions to the given order; the list must name every stage of the pipeline once."""
    require_perm(actor, "configure")
    list(Pipeline.objects.select_for_update().filter(pk=pipeline.pk).values_list("pk", flat=True))
    stages = {s.pk: s for s in pipeline.stages.select_for_update()}
    if sorted(stage_ids) != sorted(stages):
        raise DomainError(_("The new order must list every stage of the pipeline exactly once."), field="order")
    for position, stage_id in enumerate(stage_ids, start=1):
        stages[stage_id].position = position
    Stage.objects.bulk_update(stages.values(), ["position"])
    # "Furthest stage" means furthest in the current order: recompute it from the log, in one UPDATE.
    pipeline.deals.update(furthest_stage_id=Coalesce(furthest_visited_stage(), F("stage_id")))
    record_event(actor=actor, verb="pipeline.reordered", target=pipeline)
    return [stages[i] for i in stage_ids]


def has_history(stage: Stage) -> bool:
    """Whether a deal ever was on the stage: a deal on it now (open or closed) or a transition into or out of it.

    Read through the stage's reverse relations, so pipelines need not import deals.
    """
    return stage.deals.exists() or stage.transitions_in.exists() or stage.transitions_out.exists()


@transaction.atomic
def delete_stage(*, actor: User, stage: Stage) -> None:
    """Delete a stage no deal ever visited; a stage with history is archived instead (its reports stay)."""
    require_perm(actor, "configure")
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if has_history(stage):
        raise DomainError(_("Deals have been on the stage “%(stage)s”: archive it instead, its history and "
                            "reports stay.") % {"stage": stage.name}, field="stage", code="stage_has_history")
    if not stage.is_archived and not stage.pipeline.stages.filter(is_archived=False).exclude(pk=stage.pk).exists():
        raise DomainError(_("A pipeline needs at least one stage."), field="stage")
    record_event(actor=actor, verb="stage.deleted", target=stage)
    stage.delete()


@transaction.atomic
def archive_stage(*, actor: User, stage: Stage) -> Stage:
    """Hide a stage from boards and pickers; it keeps its history and reports and takes no new deals."""
    require_perm(actor, "configure")
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if stage.is_archived:
        return stage
    open_deals = stage.deals.filter(status="open").count()
    if open_deals:
        raise DomainError(ngettext(
            "%(count)s open deal is on the stage “%(stage)s”: move it to another stage before archiving.",
            "%(count)s open deals are on the stage “%(stage)s”: move them to another stage before archiving.",
            open_deals) % {"count": open_deals, "stage": stage.name}, field="stage", code="stage_has_open_deals")
    if not stage.pipeline.stages.filter(is_archived=False).exclude(pk=stage.pk).exists():
        raise DomainError(_("A pipeline needs at least one stage that takes deals."), field="stage")
    stage.is_archived = True
    stage.save(update_fields=["is_archived"])
    record_event(actor=actor, verb="stage.archived", target=stage, changes={"is_archived": (False, True)})
    return stage


@transaction.atomic
def unarchive_stage(*, actor: User, stage: Stage) -> Stage:
    """Bring an archived stage back to boards and pickers."""
    require_perm(actor, "configure")
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if stage.is_archived:
        stage.is_archived = False
        stage.save(update_fields=["is_archived"])
        record_event(actor=actor, verb="stage.unarchived", target=stage, changes={"is_archived": (True, False)})
    return stage


def load_blueprint(name: str) -> dict[str, Any]:
    """A fresh copy of ``blueprints/<name>.yaml`` (callers may change it)."""
    path = BLUEPRINT_DIR / f"{name}.yaml"
    if not path.exists():
        raise DomainError(_("No pipeline template “%(name)s”.") % {"name": name}, field="template")
    return copy.deepcopy(_parse_blueprint(str(path), path.stat().st_mtime))


@functools.lru_cache(maxsize=16)
def _parse_blueprint(path: str, mtime: float) -> dict[str, Any]:
    """Parsed YAML of a blueprint file (read-only data, cached per file version; C parser when present)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def _text(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or value.get("ru") or value.get("en") or "")
    return "" if value is None else str(value)


@transaction.atomic
def install_pipeline_template(*, actor: User, name: str, language: str = "ru", slug: str = "") -> Pipeline:
    """Create a pipeline with its stages and rulebook from ``blueprints/<name>.yaml``."""
    require_perm(actor, "configure")
    data = load_blueprint(name)
    pipeline = create_pipeline(actor=actor, name=_text(data["name"], language), slug=slug or data["slug"],
                               kind=data.get("kind", "custom"), description=_text(data.get("description"), language))
    for position, spec in enumerate(data["stages"], start=1):
        add_stage(
            actor=actor, pipeline=pipeline, name=_text(spec["name"], language), slug=spec["slug"], position=position,
            entry_result=_text(spec.get("entry_result"), language), goal=_text(spec.get("goal"), language),
            max_days=spec.get("max_days"), probability=spec.get("probability") or 0,
            **_blueprint_owner(spec), required_fields=spec.get("required_fields") or [],
            on_enter=spec.get("on_enter") or [],
            questions=[], new_questions=[_text(q, language) for q in spec.get("qualification_questions") or []],
            questions_required=bool(spec.get("questions_required")),
            instructions=_text(spec.get("instructions"), language),
        )
    logger.info("pipeline installed", extra={"pipeline": pipeline.slug})
    return pipeline


def _blueprint_owner(spec: dict[str, Any]) -> dict[str, Any]:
    """A template stage's owner: ``owner_role`` (with ``owner_mode``) or ``owner_team`` by the team's name (with
    ``owner_mode``); checked as a save from Settings is, so a template naming nobody is refused."""
    owner: dict[str, Any] = {"owner_role": spec.get("owner_role") or "", "owner_mode": spec.get("owner_mode") or ""}
    if spec.get("owner_team"):
        team = Team.objects.filter(name=str(spec["owner_team"])).first()
        if team is None:
            raise DomainError(_("No team “%(team)s” for the stage “%(stage)s”.")
                              % {"team": str(spec["owner_team"])[:120], "stage": spec.get("slug", "")},
                              field="owner_team")
        owner["owner_team"] = team
    return owner


# --- settings screens -------------------------------------------------------------------------------------

# What a new installation needs besides the pipeline: common.yaml key → catalog dictionary kind.
COMMON_DICTIONARIES = {
    "lost_reasons": "lost-reasons", "sources": "sources", "channels": "channels", "industries": "industries",
    "target_audiences": "target-audiences", "regions": "regions", "product_placeholder": "products",
    "campaigns": "campaigns",
}


def _seed_client_questions(*, actor: User, common: dict[str, Any], language: str) -> None:
    """The client qualification questions of ``common.yaml``, as a question set, while there is none yet."""
    from voronka.clients.models import QuestionSet
    from voronka.clients.services import add_question, create_question_set

    if QuestionSet.objects.exists():
        return
    name = "Квалификация клиента" if language == "ru" else "Client qualification"  # data, as in the YAML
    question_set = create_question_set(actor=actor, name=name)
    for item in common.get("qualification_questions") or []:
        add_question(actor=actor, question_set=question_set, text=_text(item, language))


def _ensure_common_setup(*, actor: User, language: str) -> None:
    """Everything ``common.yaml`` gives every template: each empty dictionary seeded (kept as the admin left
    it once it has rows), and every deal custom field whose key is still missing (existing ones untouched)."""
    common = load_blueprint("common")
    entries: dict[str, list[dict[str, Any]]] = {}
    for key, kind in COMMON_DICTIONARIES.items():
        entries[kind] = [{"name": _text(item, language)} for item in common.get(key) or []]
        if kind == "products":
            for entry, item in zip(entries[kind], common.get(key) or [], strict=True):
                entry.update(sku=item.get("sku") or "", price=item.get("price") or 0)
    seed_dictionaries(actor=actor, entries=entries)
    _seed_client_questions(actor=actor, common=common, language=language)
    existing = set(CustomFieldDefinition.objects.filter(entity="deal").values_list("key", flat=True))
    for spec in common.get("custom_fields") or []:
        if spec.get("entity", "deal") == "deal" and spec["key"] not in existing:
            create_custom_field(actor=actor, entity="deal", key=spec["key"], label=_text(spec["label"], language),
                                field_type=spec["type"],
                                choices=[{"value": c["value"], "label": _text(c, language)}
                                         for c in spec.get("choices") or []])


@transaction.atomic
def install_pipeline_from_template(*, actor: User, name: str, language: str = "ru") -> Pipeline:
    """Install a template from Settings, also on an empty database: the common dictionaries, deal fields and
    questions come with it. Again and again: a taken slug gets a numeric suffix (``inbound-2``)."""
    require_perm(actor, "configure")
    if name not in BLUEPRINTS:
        raise DomainError(_("No pipeline template “%(name)s”.") % {"name": name}, field="template")
    language = language if language in ("ru", "en") else "ru"
    data = load_blueprint(name)
    _ensure_common_setup(actor=actor, language=language)
    base = data["slug"]
    taken = set(Pipeline.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return install_pipeline_template(actor=actor, name=name, language=language, slug=slug)


@transaction.atomic
def update_pipeline(*, actor: User, pipeline: Pipeline, name: str, is_active: bool,
                    description: str | None = None, instructions: str | None = None) -> Pipeline:
    """Rename, (de)activate and describe a pipeline; ``None`` leaves the description or instructions as they are.

    ``instructions`` is the company's Markdown, sanitised when rendered (``voronka.web.markdown``).
    """
    require_perm(actor, "configure")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the pipeline name."), field="name")
    fields = (["name", "is_active"] + (["description"] if description is not None else [])
              + (["instructions"] if instructions is not None else []))
    before = {f: getattr(pipeline, f) for f in fields}
    pipeline.name = name
    pipeline.is_active = bool(is_active)
    if description is not None:
        pipeline.description = check_text(description.strip(), field="description", limit=COMMENT_MAX)
    if instructions is not None:
        if not isinstance(instructions, str) or "\x00" in instructions:
            raise DomainError(_("The instructions must be text."), field="instructions")
        pipeline.instructions = check_text(instructions.strip(), field="instructions", limit=INSTRUCTIONS_MAX)
    clean_or_raise(pipeline, exclude=["slug"])
    pipeline.save(update_fields=fields)
    record_event(actor=actor, verb="pipeline.updated", target=pipeline, changes=diff(pipeline, before, fields))
    return pipeline


@transaction.atomic
def move_stage(*, actor: User, stage: Stage, direction: str) -> list[Stage]:
    """Move a stage one place ``up`` or ``down`` (a no-op at either end); returns the new order."""
    require_perm(actor, "configure")
    if direction not in ("up", "down"):
        raise DomainError(_("Unknown direction."), field="direction")
    ids = list(Stage.objects.filter(pipeline_id=stage.pipeline_id).order_by("position", "id")
               .values_list("id", flat=True))
    i = ids.index(stage.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return reorder_stages(actor=actor, pipeline=stage.pipeline, stage_ids=ids)


@transaction.atomic
def set_pipeline_access(*, actor: User, user: User, pipelines: list[Pipeline]) -> list[int]:
    """Limit ``user`` to ``pipelines`` (an empty list: every pipeline); audited as old -> new ids."""
    require_perm(actor, "configure")
    if user is None or getattr(user, "is_system", False):
        raise DomainError(_("Choose a user."), field="user")
    wanted = sorted({p.pk for p in pipelines})
    if len(wanted) != Pipeline.objects.filter(pk__in=wanted).count():
        raise DomainError(_("Unknown pipeline."), field="pipelines")
    before = list(PipelineAccess.objects.filter(user=user).order_by("pipeline_id").values_list("pipeline_id", flat=True))
    if before == wanted:
        return wanted
    PipelineAccess.objects.filter(user=user).exclude(pipeline_id__in=wanted).delete()
    PipelineAccess.objects.bulk_create([PipelineAccess(user=user, pipeline_id=pk) for pk in wanted if pk not in before])
    forget_pipeline_access(user)
    record_event(actor=actor, verb="user.pipelines_changed", target=user,
                 changes={"pipelines": (",".join(map(str, before)) or "all", ",".join(map(str, wanted)) or "all")})
    return wanted
