"""Writes of deals: create, update, move, win, lose, reopen, with the stage transition log.

Every write checks the actor's permission, keeps the invariants of DESIGN.md §3 and bumps the deal's
``version`` with a conditional UPDATE, so two concurrent writers never overwrite each other silently.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_assignable, require_perm, require_pipeline, require_visible
from voronka.accounts.selectors import pool_members
from voronka.accounts.services import get_system_actor, next_member, open_work_of, update_user
from voronka.activities.models import ActivityKind
from voronka.activities.services import (
    build_task,
    cancel_open_tasks,
    hand_over_open_tasks,
    log_activity,
    reassign_open_tasks,
)
from voronka.audit.services import diff
from voronka.catalog.fields import STANDARD, STANDARD_FIELDS, ChangeSet, Kind, deal_fields
from voronka.catalog.models import LostReason
from voronka.catalog.selectors import lost_reason_from
from voronka.clients.models import Client
from voronka.clients.selectors import QUESTION_KEY_PREFIX, question_id_from_key
from voronka.clients.services import (
    answer_questions,
    check_open_deals_choice,
    mark_client_lost,
    mark_client_won,
    refuse_client,
    update_client,
)
from voronka.core.errors import Conflict, DomainError, MissingFields, NotFound
from voronka.core.formatting import format_money
from voronka.core.money import check_money, money_limit, parse_money
from voronka.core.params import parse_id
from voronka.core.validation import COMMENT_MAX, check_text, clean_or_raise
from voronka.deals import stays
from voronka.deals.models import Deal, DealLine, DealStatus, StageTransition, TransitionKind
from voronka.deals.rules import (
    check_stage_rules,
    fields_required_for_move,
    fields_required_for_win,
    labels_for,
    missing_fields,
    missing_required_fields,
    stages_left,
    stages_passed,
)
from voronka.events.services import record_event
from voronka.pipelines.actions import normalised
from voronka.pipelines.models import OwnerMode, Pipeline, Stage
from voronka.pipelines.services import hold_stage_order

logger = logging.getLogger(__name__)

# The deal columns a value of the field registry may change (update_deal audits and saves these).
EDITABLE_FIELDS = tuple(spec.attr for spec in STANDARD_FIELDS
                        if spec.editable and spec.entity == "deal" and spec.kind != Kind.LINES)


class InvalidTransition(Conflict):
    default_code = "invalid_transition"


class StaleDeal(Conflict):
    default_code = "stale"

    def __init__(self) -> None:
        super().__init__(_("Someone else has changed this deal meanwhile. Reload it and try again."),
                         field="version")


def _missing_fields_error(keys: list[str], stage: Stage) -> MissingFields:
    return MissingFields(
        _("Fill in the required fields of stage “%(stage)s”: %(fields)s.")
        % {"stage": stage.name, "fields": ", ".join(labels_for(keys))},
        field=keys[0], fields=keys,
    )


def _require_fields(deal: Deal, stage: Stage) -> None:
    missing = missing_required_fields(deal, stage)
    if missing:
        raise _missing_fields_error(missing, stage)


def _require_fields_for_move(deal: Deal, stage: Stage, *, created: bool = False) -> None:
    """Entering ``stage`` needs the fields of every stage the move passes (skipped ones included)."""
    missing = missing_fields(deal, fields_required_for_move(deal, stage, created=created))
    if missing:
        raise _missing_fields_error(missing, stage)
    check_stage_rules(deal, stages_passed(deal, stage, created=created))


def _require_fields_for_win(deal: Deal) -> None:
    """A win counts every remaining stage as passed: it needs their fields too."""
    missing = missing_fields(deal, fields_required_for_win(deal))
    if missing:
        raise MissingFields(
            _("A won deal passes every remaining stage: fill in %(fields)s.")
            % {"fields": ", ".join(labels_for(missing))}, field=missing[0], fields=missing)
    check_stage_rules(deal, stages_left(deal))


def _require_won_amount(deal: Deal) -> None:
    if settings.VORONKA_WON_REQUIRES_AMOUNT and deal.amount <= 0:
        raise MissingFields(_("A won deal needs an amount greater than zero."), field="amount", fields=["amount"])


def _require_kept(deal: Deal) -> None:
    """An edit keeps what the deal's state demands: its stage's fields while open, an amount once won."""
    if deal.is_open:
        _require_fields(deal, deal.stage)
    elif deal.status == DealStatus.WON:
        _require_won_amount(deal)


def _refuse_past_close(actor: User, deal: Deal) -> None:
    """An open deal is expected to close today or later (as Postpone refuses a past contact date); a date
    that was already there stays editable around it (update_deal calls this only when the date changes).
    Automation (the system actor, which may run for a past moment) is exempt."""
    if (deal.status == DealStatus.OPEN and deal.expected_close_date is not None and not actor.is_system
            and deal.expected_close_date < timezone.localdate()):
        raise DomainError(_("The expected close date of an open deal cannot be in the past."),
                          field="expected_close_date", code="past_date")


def _money(value: Any, field: str = "amount") -> Decimal:
    return parse_money(value, field=field)


def _client_error(exc: DomainError, changes: ChangeSet) -> DomainError:
    """An error of ``update_client`` named by the registry key the caller used (``inn`` → ``client.inn``)."""
    def key(name: str) -> str:
        return f"client.{name}" if name in changes.client or name.startswith("cf:") else name

    exc.field = key(exc.field) if exc.field else exc.field
    exc.fields = [key(f) for f in exc.fields]
    return exc


def _require_entered_amount(deal: Deal) -> None:
    """One source of truth: with product lines the amount is their total, so it is not typed in."""
    if deal.pk is not None and DealLine.objects.filter(deal_id=deal.pk).exists():
        raise DomainError(_("The amount is the total of the product lines: change the lines instead."),
                          field="amount", code="amount_from_lines")


# Passed with ``values``: the user saw that the first product lines replace the entered amount and agreed.
LINES_AMOUNT_KEY = "amount_from_lines"




def _require_amount_choice(deal: Deal, lines: list[dict[str, Any]], amount_before: Decimal | None,
                           confirmed: Any) -> None:
    """The first product lines of a deal with an entered amount make the amount their total: never silently.

    When the total differs from the amount, the caller must say so (``amount_from_lines: true``); otherwise
    the error names both figures and the user corrects the lines or confirms the new amount.
    """
    if confirmed in (True, "true", "1", "on", 1) or not lines or not amount_before:
        return
    if DealLine.objects.filter(deal_id=deal.pk).exists():
        return  # the amount already is the lines' total
    total = _build_lines(deal, lines)[1]  # an invalid line is its own error, before the amount choice
    if total == amount_before:
        return
    raise DomainError(_("The lines total %(total)s differs from the deal amount %(amount)s: correct the lines, "
                        "or confirm that the amount becomes the lines total.") % {
        "total": format_money(total, deal.currency), "amount": format_money(amount_before, deal.currency)},
        field=LINES_AMOUNT_KEY, code="lines_total_differs")


def _apply_values(*, actor: User, deal: Deal, values: dict[str, Any]) -> ChangeSet:
    """Set the given fields (keys of the field registry, ``catalog.fields``) on the deal in memory.

    Client fields are written through ``update_client``; product lines replace the deal's lines (the
    amount follows) once the deal exists, else ``create_deal`` writes them after the insert. The change
    set's ``deal_fields`` are the deal columns to save.
    """
    values = dict(values or {})
    confirmed = values.pop(LINES_AMOUNT_KEY, None)
    answers = _question_answers(values)
    typed_amount = "amount" in values
    before = deal.amount
    changes = deal_fields().apply(deal, values)
    if typed_amount and changes.lines is None and deal.amount != before:
        _require_entered_amount(deal)
    if changes.touches_client:
        try:
            update_client(actor=actor, client=deal.client, custom=changes.client_custom or None, **changes.client)
        except DomainError as exc:
            raise _client_error(exc, changes) from exc
    if changes.lines is not None and deal.pk is not None:
        # an amount typed in the same call is the one the lines must match (or be confirmed against)
        _require_amount_choice(deal, changes.lines, deal.amount if typed_amount else before, confirmed)
        _replace_lines(deal, changes.lines)
        changes.deal_fields.append("amount")
        changes.lines = None
    if answers:
        answer_questions(actor=actor, client=deal.client, answers=answers)
    return changes


def _question_answers(values: dict[str, Any]) -> dict[int, str]:
    """Take the ``q:<id>`` answers out of ``values``; a dialog only adds answers (the client card edits them),
    so empty ones are dropped."""
    answers: dict[int, str] = {}
    for key in [k for k in values if str(k).startswith(QUESTION_KEY_PREFIX)]:
        value = values.pop(key)
        question_id = question_id_from_key(key)
        if question_id is None:
            raise DomainError(_("Unknown qualification question."), field=key)
        if str(value or "").strip():
            answers[question_id] = str(value)
    return answers


def _save(deal: Deal, fields: list[str], expected_version: int | None) -> None:
    """Conditional UPDATE on the version the caller saw; bumps the version or raises StaleDeal."""
    seen = expected_version if expected_version is not None else deal.version
    if expected_version is not None and expected_version != deal.version:
        raise StaleDeal()
    now = timezone.now()
    payload = {f: getattr(deal, f) for f in dict.fromkeys(fields)}
    updated = Deal.objects.filter(pk=deal.pk, version=seen).update(version=seen + 1, updated_at=now, **payload)
    if updated != 1:
        raise StaleDeal()
    deal.version = seen + 1
    deal.updated_at = now


def _lock(deal: Deal) -> Deal:
    """Lock the deal row, check the version the caller held, then re-read the deal with its relations.

    The lock takes the deal row alone: ``FOR UPDATE`` over a join would also lock the stage, pipeline,
    client and owner rows, and PostgreSQL drops the row from the result (instead of returning it) when a
    concurrent writer has just moved the deal to another stage.
    """
    versions = list(Deal.objects.select_for_update().filter(pk=deal.pk).values_list("version", flat=True))
    if not versions:
        raise NotFound(_("Deal not found."))
    if versions[0] != deal.version:
        raise StaleDeal()
    return Deal.objects.select_related("stage", "pipeline", "client", "owner", "furthest_stage").get(pk=deal.pk)


def _transition(*, deal: Deal, actor: User | None, kind: str, from_stage: Stage | None, to_stage: Stage | None,
                at: dt.datetime, entered_at: dt.datetime | None) -> StageTransition:
    """Append a log row; its pipeline is the one the deal is in after the change."""
    seconds = max(int((at - entered_at).total_seconds()) if entered_at else 0, 0)
    row = StageTransition.objects.create(deal=deal, pipeline_id=deal.pipeline_id, kind=kind, from_stage=from_stage,
                                         to_stage=to_stage, by_user=actor, at=at, seconds_in_from_stage=seconds)
    # The per-(deal, stage) summary the reports read, in the same transaction as the log row (issue 8).
    stays.record(deal_id=deal.pk, from_stage_id=row.from_stage_id, to_stage_id=row.to_stage_id, at=at,
                 seconds=seconds)
    return row


def _further(deal: Deal, stage: Stage) -> Stage:
    """The further of the deal's furthest stage and ``stage`` in the pipeline's current order (both read
    afresh: the furthest stage by ``_lock``, the target by ``_check_stage``)."""
    current = deal.furthest_stage
    if current is None or current.pipeline_id != stage.pipeline_id:
        return stage
    return stage if (stage.position, stage.pk) > (current.position, current.pk) else current


def _check_stage(pipeline: Pipeline, stage: Stage | None) -> Stage:
    if stage is None:
        raise DomainError(_("Choose a stage."), field="stage")
    # Read the stage afresh: the caller's object may predate a reorder or an archiving.
    number = stage.pk if isinstance(stage, Stage) else parse_id(stage)
    found = Stage.objects.filter(pk=number).first() if number is not None else None
    if found is None:
        raise DomainError(_("Unknown stage."), field="stage", code="unknown_stage")
    stage = found
    if stage.pipeline_id != pipeline.pk:
        raise InvalidTransition(_("Stage “%(stage)s” belongs to another pipeline.") % {"stage": stage.name},
                                field="stage")
    if stage.is_archived:
        raise DomainError(_("Stage “%(stage)s” is archived and takes no deals; choose another stage.")
                          % {"stage": stage.name}, field="stage", code="stage_archived")
    return stage


def _stage_pool(deal: Deal, stage: Stage):
    """``(turn key, members, mode)`` of a stage handed to a team's members (round-robin or least loaded) or to a
    role (the active people with it in the deal's team, when that team has any, else everywhere); else None."""
    mode = stage.owner_mode or OwnerMode.ROUND_ROBIN
    if stage.owner_team_id and stage.owner_mode in (OwnerMode.ROUND_ROBIN, OwnerMode.LEAST_LOADED):
        return f"team:{stage.owner_team_id}", pool_members(team_id=stage.owner_team_id), mode
    if stage.owner_role:
        if deal.owner_team_id is not None:
            in_team = pool_members(role=stage.owner_role, team_id=deal.owner_team_id)
            if in_team.exists():
                return f"role:{stage.owner_role}:team:{deal.owner_team_id}", in_team, mode
        return f"role:{stage.owner_role}", pool_members(role=stage.owner_role), mode
    return None


def _can_own(user: User | None) -> bool:
    return user is not None and user.is_active and not user.is_system and user.role != "analyst"


def _stage_owner(deal: Deal, stage: Stage) -> tuple[User | None, str]:
    """The person the stage hands the deal to, or None with the reason (empty: the stage has no owner).

    A deal already owned by one of a pool's members stays with him and takes no turn."""
    if stage.owner_user_id:
        if _can_own(stage.owner_user):
            return stage.owner_user, ""
        return None, _("%(user)s is deactivated") % {"user": stage.owner_user}
    if stage.owner_team_id and (stage.owner_mode or OwnerMode.LEAD) == OwnerMode.LEAD:
        lead = stage.owner_team.lead
        if _can_own(lead):
            return lead, ""
        return None, _("the team has no active lead")
    pool = _stage_pool(deal, stage)
    if pool is None:
        return None, ""
    key, members, mode = pool
    if members.filter(pk=deal.owner_id).exists():
        return deal.owner, ""
    chosen = next_member(key=key, members=members, mode=mode)
    if chosen is None:
        return None, _("nobody active can take it")
    return chosen, ""


def _hand_off(*, actor: User, deal: Deal, stage: Stage, at: dt.datetime) -> bool:
    """Conveyor: a stage with its own owner (a person, a team's lead or member, a role) takes the deal (and its
    open tasks) on entry. An owner rule nobody can follow now leaves the deal where it is, said on the timeline."""
    rule = stage.owner_rule_label()
    new_owner, missing = _stage_owner(deal, stage)
    if new_owner is None:
        if missing:
            log_activity(kind=ActivityKind.SYSTEM, author=get_system_actor(), deal=deal, at=at,
                         body=_("Stage “%(s)s” hands deals to %(rule)s, but %(why)s: the deal stays with %(a)s.")
                         % {"s": stage.name, "rule": rule, "why": missing, "a": deal.owner},
                         data={"event": "handoff_failed", "stage": stage.pk, "owner": deal.owner_id})
        return False
    if new_owner.pk == deal.owner_id:
        return False
    previous = deal.owner
    deal.owner = new_owner
    deal.owner_team_id = new_owner.team_id
    reassign_open_tasks(deal=deal, from_user=None, to_user=new_owner)
    body = (_("Handed off from %(a)s to %(b)s at stage “%(s)s”.") if stage.owner_user_id
            else _("Handed off from %(a)s to %(b)s at stage “%(s)s” (%(rule)s)."))
    log_activity(kind=ActivityKind.SYSTEM, author=actor, deal=deal, at=at,
                 body=body % {"a": previous, "b": new_owner, "s": stage.name, "rule": rule},
                 data={"event": "handoff", "from": previous.pk, "to": new_owner.pk, "stage": stage.pk,
                       "mode": stage.owner_mode or ""})
    return True


def stage_person(deal: Deal, stage: Stage, who: str) -> User | None:
    """The person an ``on_enter`` action names: ``deal_owner``, ``stage_owner`` (the stage's user, its team's
    lead, or, for a stage handed to a team's members or a role, the deal's owner when he is one of them) or
    ``team_lead`` (of the deal owner's team); None when there is nobody."""
    if who == "deal_owner":
        return deal.owner
    if who == "stage_owner":
        if stage.owner_user_id:
            return stage.owner_user
        if stage.owner_team_id and (stage.owner_mode or OwnerMode.LEAD) == OwnerMode.LEAD:
            return stage.owner_team.lead if stage.owner_team.lead_id else None
        pool = _stage_pool(deal, stage)
        return deal.owner if pool is not None and pool[1].filter(pk=deal.owner_id).exists() else None
    if who == "team_lead":
        team = deal.owner_team
        return team.lead if team is not None and team.lead_id else None
    return None


def _run_on_enter(*, actor: User, deal: Deal, stage: Stage) -> None:
    """Stage automation (``pipelines.actions``). ``create_task`` runs here, in the move's transaction, unless a
    task of that kind is already open (a task is the deal's state); every other action runs after commit from
    the ``stage.entered`` event (``automation.actions``), with exactly the actions configured now."""
    actions = normalised(stage.on_enter)
    if not actions:
        return
    open_kinds = set(deal.tasks.filter(status="open").values_list("kind", flat=True))
    for index, action in enumerate(actions):
        if action["action"] != "create_task" or action["kind"] in open_kinds:
            continue
        assignee = stage_person(deal, stage, action.get("assignee", "deal_owner")) or deal.owner
        if not assignee.is_active or getattr(assignee, "is_system", False):
            assignee = deal.owner
        title = action.get("title") or _("%(stage)s: next step") % {"stage": stage.name}
        spec = {"title": title, "kind": action["kind"],
                "due_date": timezone.localdate() + dt.timedelta(days=int(action.get("due_days", 1)))}
        if assignee.pk == deal.owner_id:  # the deal's own task, as the mover made it
            task = build_task(actor=actor, deal=deal, spec=spec)
        else:  # the rule, not the mover, gives it to someone else (the mover's scope does not decide)
            task = build_task(actor=get_system_actor(), deal=deal, spec={**spec, "assignee": assignee})
        task.save()
        open_kinds.add(action["kind"])
        log_activity(kind=ActivityKind.SYSTEM, author=get_system_actor(), deal=deal,
                     body=_("Stage action: task “%(title)s” for %(user)s.") % {"title": title, "user": assignee},
                     data={"event": "stage_action", "action": "create_task", "index": index, "task": task.pk})
    later = [a for a in actions if a["action"] != "create_task"]
    if later:
        record_event(actor=actor, verb="stage.entered", target=deal, data={"stage": stage.pk, "actions": later})


@transaction.atomic
def create_deal(*, actor: User, title: str, pipeline: Pipeline, client: Client, first_task: dict[str, Any],
                stage: Stage | None = None, owner: User | None = None, values: dict[str, Any] | None = None,
                lines: list[dict[str, Any]] | None = None) -> Deal:
    """Create an open deal on its first (or given) stage together with its first task (invariant 1)."""
    require_perm(actor, "change")
    owner = owner or actor
    require_assignable(actor, owner)
    if client is None:
        raise DomainError(_("Choose the client."), field="client")
    require_visible(actor, client, field="client")
    if pipeline is None:
        raise DomainError(_("Choose the pipeline."), field="pipeline")
    require_pipeline(actor, pipeline)
    if stage is None:
        stage = pipeline.stages.filter(is_archived=False).order_by("position", "id").first()
        if stage is None:
            raise DomainError(_("The pipeline has no stages."), field="pipeline")
    stage = _check_stage(pipeline, stage)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Enter the deal title."), field="title")
    if not first_task:
        raise MissingFields(_("A deal starts with its first task."), field="task_title",
                            fields=["task_title", "task_due_date"])
    now = timezone.now()
    deal = Deal(title=title, pipeline=pipeline, stage=stage, client=client, owner=owner, owner_team_id=owner.team_id,
                currency=settings.VORONKA_DEFAULT_CURRENCY, stage_entered_at=now, created_at=now,
                furthest_stage=stage,
                is_new_client=not client.deals.filter(status=DealStatus.WON).exists())
    changes = _apply_values(actor=actor, deal=deal, values=values or {})
    clean_or_raise(deal, exclude=["client", "pipeline", "stage", "owner", "contact", "source", "channel",
                                  "campaign", "product", "lost_reason"])
    _refuse_past_close(actor, deal)
    task = build_task(actor=actor, spec=first_task, deal=deal, field_prefix="task_", first=True)
    deal.save()
    if lines or changes.lines:
        _replace_lines(deal, list(lines or changes.lines))
    _require_fields_for_move(deal, stage, created=True)
    task.deal = deal
    task.save()
    _transition(deal=deal, actor=actor, kind=TransitionKind.CREATED, from_stage=None, to_stage=stage, at=now,
                entered_at=None)
    log_activity(kind=ActivityKind.SYSTEM, author=actor, deal=deal, at=now,
                 body=_("Deal created at stage “%(stage)s”.") % {"stage": stage.name}, data={"event": "created"})
    if _hand_off(actor=actor, deal=deal, stage=stage, at=now):
        deal.save(update_fields=["owner", "owner_team"])
    _run_on_enter(actor=actor, deal=deal, stage=stage)
    record_event(actor=actor, verb="deal.created", target=deal,
                 data={"pipeline": pipeline.pk, "stage": stage.pk, "owner": deal.owner_id, "client": client.pk})
    logger.info("deal created", extra={"deal_id": deal.pk})
    return deal


def _build_lines(deal: Deal, lines: list[dict[str, Any]]) -> tuple[list[DealLine], Decimal]:
    """The lines, each validated (and its total and the sum within the amount column), with their total."""
    built: list[DealLine] = []
    total = Decimal("0")
    for index, spec in enumerate(STANDARD["lines"].parse(list(lines or [])), start=1):
        line = DealLine(deal=deal, **spec)
        check_money(line.total, field="lines", message=_(
            "Line %(n)s: the line total is beyond the largest amount (%(max)s).") % {"n": index, "max": money_limit()})
        clean_or_raise(line, exclude=["deal", "product"])
        total += line.total
        built.append(line)
    check_money(total, field="lines", message=_("The total of the lines is beyond the largest amount "
                                                "(%(max)s).") % {"max": money_limit()})
    return built, total


def _replace_lines(deal: Deal, lines: list[dict[str, Any]]) -> None:
    """Validate every line (and the total against the amount column) first, then replace them; the amount
    becomes their total. No lines (an explicit removal of all of them): the amount stays as it was, the last
    total, and is an entered amount from then on."""
    built, total = _build_lines(deal, lines)
    DealLine.objects.filter(deal=deal).delete()
    if not built:
        return
    DealLine.objects.bulk_create(built)
    deal.amount = total
    Deal.objects.filter(pk=deal.pk).update(amount=total)


@transaction.atomic
def set_deal_lines(*, actor: User, deal: Deal, lines: list[dict[str, Any]], expected_version: int | None = None
                   ) -> Deal:
    """Replace the product lines; the deal amount becomes their total."""
    require_perm(actor, "change", deal)
    deal = _lock(deal) if expected_version is None else deal
    _replace_lines(deal, lines)
    _require_kept(deal)
    _save(deal, ["amount"], expected_version)
    record_event(actor=actor, verb="deal.lines_set", target=deal)
    return deal


@transaction.atomic
def update_deal(*, actor: User, deal: Deal, values: dict[str, Any], expected_version: int | None = None) -> Deal:
    """Edit fields; an open deal cannot lose a field its current stage requires."""
    require_perm(actor, "change", deal)
    before = {f: getattr(deal, f) for f in (*EDITABLE_FIELDS, "custom")}
    changed = _apply_values(actor=actor, deal=deal, values=values).deal_fields
    if deal.expected_close_date != before["expected_close_date"]:
        _refuse_past_close(actor, deal)
    clean_or_raise(deal, exclude=["client", "pipeline", "stage", "owner", "contact", "source", "channel",
                                  "campaign", "product", "lost_reason"])
    _require_kept(deal)
    _save(deal, [c for c in changed if c in (*EDITABLE_FIELDS, "custom")], expected_version)
    record_event(actor=actor, verb="deal.updated", target=deal, changes=diff(deal, before, changed))
    return deal


@transaction.atomic
def reassign_deal(*, actor: User, deal: Deal, owner: User, expected_version: int | None = None) -> Deal:
    """Give the deal (and its open tasks) to another manager."""
    require_perm(actor, "change", deal)
    if owner is None or not owner.is_active:
        raise DomainError(_("Choose an active user."), field="owner")
    require_assignable(actor, owner)
    previous = deal.owner
    deal.owner = owner
    deal.owner_team_id = owner.team_id  # the team snapshot team reports read
    _save(deal, ["owner", "owner_team_id"], expected_version)
    reassign_open_tasks(deal=deal, from_user=previous, to_user=owner)
    log_activity(kind=ActivityKind.SYSTEM, author=actor, deal=deal,
                 body=_("Owner changed from %(a)s to %(b)s.") % {"a": previous, "b": owner},
                 data={"event": "reassigned", "from": previous.pk, "to": owner.pk})
    record_event(actor=actor, verb="deal.reassigned", target=deal, changes={"owner": (previous, owner)})
    return deal


def _transition_kind(deal: Deal, old: Stage, new: Stage) -> str:
    order = list(deal.pipeline.stages.order_by("position", "id").values_list("pk", flat=True))
    old_index, new_index = order.index(old.pk), order.index(new.pk)
    if new_index == old_index + 1:
        return TransitionKind.FORWARD
    return TransitionKind.SKIP if new_index > old_index else TransitionKind.BACKWARD


@transaction.atomic
def move_deal(*, actor: User, deal: Deal, stage: Stage, expected_version: int | None = None,
              values: dict[str, Any] | None = None) -> Deal:
    """Move an open deal to another stage of its pipeline (optionally filling fields the stage requires)."""
    require_perm(actor, "change", deal)
    if expected_version is not None and expected_version != deal.version:
        raise StaleDeal()
    hold_stage_order(deal.pipeline_id)  # positions decide the furthest stage
    deal = _lock(deal)
    if not deal.is_open:
        raise InvalidTransition(_("The deal is closed; reopen it first."), field="stage")
    stage = _check_stage(deal.pipeline, stage)
    if stage.pk == deal.stage_id:
        raise InvalidTransition(_("The deal is already at this stage."), field="stage")
    changed = _apply_values(actor=actor, deal=deal, values=values or {}).deal_fields
    _require_fields_for_move(deal, stage)
    now = timezone.now()
    old_stage, entered_at = deal.stage, deal.stage_entered_at
    kind = _transition_kind(deal, old_stage, stage)
    deal.stage = stage
    deal.stage_entered_at = now
    deal.furthest_stage = _further(deal, stage)
    handed = _hand_off(actor=actor, deal=deal, stage=stage, at=now)
    _save(deal, [*changed, "stage", "stage_entered_at", "furthest_stage",
                 *(["owner", "owner_team_id"] if handed else [])], None)
    _transition(deal=deal, actor=actor, kind=kind, from_stage=old_stage, to_stage=stage, at=now,
                entered_at=entered_at)
    log_activity(kind=ActivityKind.STAGE_CHANGE, author=actor, deal=deal, at=now,
                 body=f"{old_stage.name} → {stage.name}", data={"from": old_stage.pk, "to": stage.pk, "kind": kind})
    _run_on_enter(actor=actor, deal=deal, stage=stage)
    record_event(actor=actor, verb="deal.moved", target=deal, changes={"stage": (old_stage, stage)},
                 data={"pipeline": deal.pipeline_id, "kind": kind, "handed_off": handed})
    logger.info("deal moved", extra={"deal_id": deal.pk, "stage_id": stage.pk})
    return deal


def _check_pipeline(pipeline: Any) -> Pipeline:
    if pipeline in (None, ""):
        raise DomainError(_("Choose the pipeline."), field="pipeline")
    pk = pipeline.pk if isinstance(pipeline, Pipeline) else pipeline
    found = Pipeline.objects.filter(pk=pk, is_active=True).first() if str(pk).isdigit() else None
    if found is None:
        raise DomainError(_("Unknown pipeline."), field="pipeline", code="unknown_pipeline")
    return found


@transaction.atomic
def change_deal_pipeline(*, actor: User, deal: Deal, pipeline: Pipeline, stage: Stage | None = None,
                         values: dict[str, Any] | None = None, expected_version: int | None = None) -> Deal:
    """Move an open deal to a stage (by default the first one that takes deals) of another pipeline.

    Writes one ``pipeline_change`` transition whose pipeline is the new one: the old pipeline's funnel keeps
    the deal's visits there, the new one counts it from the stage it enters. The stage's required fields,
    hand-off and automation apply as on a move.
    """
    require_perm(actor, "change", deal)
    if expected_version is not None and expected_version != deal.version:
        raise StaleDeal()
    hold_stage_order(deal.pipeline_id)  # positions decide the furthest stage
    deal = _lock(deal)
    if not deal.is_open:
        raise InvalidTransition(_("The deal is closed; reopen it first."), field="pipeline")
    pipeline = _check_pipeline(pipeline)
    require_pipeline(actor, pipeline)
    hold_stage_order(pipeline.pk)
    if pipeline.pk == deal.pipeline_id:
        raise InvalidTransition(_("The deal is in this pipeline already; move it to another stage instead."),
                                field="pipeline")
    if stage in (None, ""):
        stage = pipeline.stages.filter(is_archived=False).order_by("position", "id").first()
        if stage is None:
            raise DomainError(_("The pipeline has no stages."), field="pipeline")
    stage = _check_stage(pipeline, stage)
    changed = _apply_values(actor=actor, deal=deal, values=values or {}).deal_fields
    # Entering another pipeline at a later stage passes its earlier stages, as a deal created there would.
    _require_fields_for_move(deal, stage, created=True)
    now = timezone.now()
    old_pipeline, old_stage, entered_at = deal.pipeline, deal.stage, deal.stage_entered_at
    deal.pipeline, deal.stage, deal.stage_entered_at = pipeline, stage, now
    _transition(deal=deal, actor=actor, kind=TransitionKind.PIPELINE_CHANGE, from_stage=old_stage, to_stage=stage,
                at=now, entered_at=entered_at)
    # Furthest in the new pipeline: the stage entered now, or a later one of an earlier stay there (the log).
    deal.furthest_stage = (Stage.objects.filter(pipeline=pipeline, transitions_in__deal=deal)
                           .order_by("-position", "-id").first() or stage)
    handed = _hand_off(actor=actor, deal=deal, stage=stage, at=now)
    _save(deal, [*changed, "pipeline", "stage", "stage_entered_at", "furthest_stage",
                 *(["owner", "owner_team_id"] if handed else [])], None)
    log_activity(kind=ActivityKind.STAGE_CHANGE, author=actor, deal=deal, at=now,
                 body=_("Moved from pipeline “%(p1)s” (%(s1)s) to “%(p2)s” (%(s2)s).")
                 % {"p1": old_pipeline.name, "s1": old_stage.name, "p2": pipeline.name, "s2": stage.name},
                 data={"event": "pipeline_change", "from": old_stage.pk, "to": stage.pk,
                       "from_pipeline": old_pipeline.pk, "to_pipeline": pipeline.pk,
                       "kind": TransitionKind.PIPELINE_CHANGE})
    _run_on_enter(actor=actor, deal=deal, stage=stage)
    record_event(actor=actor, verb="deal.pipeline_changed", target=deal,
                 changes={"pipeline": (old_pipeline, pipeline), "stage": (old_stage, stage)},
                 data={"pipeline": pipeline.pk, "kind": TransitionKind.PIPELINE_CHANGE, "handed_off": handed})
    logger.info("deal pipeline changed", extra={"deal_id": deal.pk, "pipeline_id": pipeline.pk, "stage_id": stage.pk})
    return deal


def _close(*, actor: User, deal: Deal, status: str, kind: str, reason_text: str) -> None:
    now = timezone.now()
    deal.status = status
    deal.closed_at = now
    _transition(deal=deal, actor=actor, kind=kind, from_stage=deal.stage, to_stage=None, at=now,
                entered_at=deal.stage_entered_at)
    cancel_open_tasks(actor=actor, deal=deal, reason=reason_text)


@transaction.atomic
def win_deal(*, actor: User, deal: Deal, amount: Any = None, expected_version: int | None = None,
             values: dict[str, Any] | None = None) -> Deal:
    """Close the deal as won: the stage's required fields are filled and the amount is positive."""
    require_perm(actor, "change", deal)
    if expected_version is not None and expected_version != deal.version:
        raise StaleDeal()
    deal = _lock(deal)
    if not deal.is_open:
        raise InvalidTransition(_("The deal is already closed."), field="status")
    values = dict(values or {})
    if amount not in (None, ""):
        values["amount"] = amount
    changed = _apply_values(actor=actor, deal=deal, values=values).deal_fields
    _require_won_amount(deal)
    _require_fields_for_win(deal)
    _close(actor=actor, deal=deal, status=DealStatus.WON, kind=TransitionKind.WON, reason_text=_("Deal won"))
    _save(deal, [*changed, "status", "closed_at"], None)
    mark_client_won(client=deal.client)
    log_activity(kind=ActivityKind.SYSTEM, author=actor, deal=deal, body=_("Deal won."), data={"event": "won"})
    record_event(actor=actor, verb="deal.won", target=deal, changes={"status": ("open", "won")},
                 data={"amount": deal.amount, "currency": deal.currency})
    return deal


@transaction.atomic
def lose_deal(*, actor: User, deal: Deal, reason: LostReason | None, comment: str = "",
              expected_version: int | None = None) -> Deal:
    """Close the deal as lost with a reason (the lost-reason report reads it)."""
    require_perm(actor, "change", deal)
    if expected_version is not None and expected_version != deal.version:
        raise StaleDeal()
    deal = _lock(deal)
    if not deal.is_open:
        raise InvalidTransition(_("The deal is already closed."), field="status")
    if reason is None:
        raise DomainError(_("Choose the lost reason."), field="lost_reason")
    reason = lost_reason_from(reason, unknown=_("Unknown lost reason."))
    _require_fields(deal, deal.stage)
    deal.lost_reason = reason
    deal.lost_comment = check_text((comment or "").strip(), field="comment", limit=COMMENT_MAX)
    _close(actor=actor, deal=deal, status=DealStatus.LOST, kind=TransitionKind.LOST, reason_text=_("Deal lost"))
    _save(deal, ["status", "closed_at", "lost_reason", "lost_comment"], None)
    mark_client_lost(client=deal.client, reason=reason, comment=comment)
    log_activity(kind=ActivityKind.SYSTEM, author=actor, deal=deal,
                 body=_("Deal lost: %(reason)s. %(comment)s") % {"reason": reason, "comment": comment},
                 data={"event": "lost", "reason": reason.pk})
    record_event(actor=actor, verb="deal.lost", target=deal, changes={"status": ("open", "lost")},
                 data={"lost_reason": reason.pk})
    return deal


@transaction.atomic
def reopen_deal(*, actor: User, deal: Deal, task: dict[str, Any], stage: Stage | None = None,
                expected_version: int | None = None) -> Deal:
    """Bring a closed deal back to work, on its last (or a given) stage, with a new task (invariant 1)."""
    require_perm(actor, "change", deal)
    if expected_version is not None and expected_version != deal.version:
        raise StaleDeal()
    hold_stage_order(deal.pipeline_id)  # positions decide the furthest stage
    deal = _lock(deal)
    if deal.is_open:
        raise InvalidTransition(_("The deal is open already."), field="status")
    stage = _check_stage(deal.pipeline, stage or deal.stage)
    if not task:
        raise MissingFields(_("A reopened deal needs a task."), field="task_title",
                            fields=["task_title", "task_due_date"])
    new_task = build_task(actor=actor, spec=task, deal=deal, field_prefix="task_", first=True)
    _require_fields_for_move(deal, stage)
    now = timezone.now()
    previous = deal.status
    _transition(deal=deal, actor=actor, kind=TransitionKind.REOPEN, from_stage=None, to_stage=stage, at=now,
                entered_at=None)
    deal.status = DealStatus.OPEN
    deal.closed_at = None
    deal.lost_reason = None
    deal.lost_comment = ""
    deal.stage = stage
    deal.stage_entered_at = now
    deal.furthest_stage = _further(deal, stage)
    _save(deal, ["status", "closed_at", "lost_reason", "lost_comment", "stage", "stage_entered_at",
                 "furthest_stage"], None)
    new_task.save()
    log_activity(kind=ActivityKind.SYSTEM, author=actor, deal=deal, at=now, body=_("Deal reopened."),
                 data={"event": "reopened"})
    record_event(actor=actor, verb="deal.reopened", target=deal, changes={"status": (previous, "open")})
    return deal


@transaction.atomic
def refuse_client_with_deals(*, actor: User, client: Client, reason: LostReason | None, comment: str = "",
                             open_deals: str | None = None) -> Client:
    """Refuse a client and settle its open deals in one transaction: ``lose`` them with the same reason and
    comment, or ``keep`` them open. With open deals and no choice it is a field error (``open_deals``); any
    deal that cannot be lost (scope, its stage's required fields) rolls the whole refusal back."""
    require_perm(actor, "change", client)
    if reason is None:
        raise DomainError(_("Choose a refusal reason."), field="lost_reason")
    reason = lost_reason_from(reason, unknown=_("Unknown lost reason."))
    if check_open_deals_choice(client, open_deals) and open_deals == "lose":
        for deal in Deal.objects.filter(client=client, status=DealStatus.OPEN).order_by("pk"):
            lose_deal(actor=actor, deal=deal, reason=reason, comment=comment)
    client.refresh_from_db()
    return refuse_client(actor=actor, client=client, reason=reason, comment=comment, open_deals="keep")


# --- deactivation hand-over ---------------------------------------------------------------------------------

@transaction.atomic
def deactivate_user(*, actor: User, user: User, deals_to: User | None, clients_to: User | None = None
                    ) -> dict[str, int]:
    """Deactivate ``user`` and hand his work over in one step, all or nothing.

    His open deals (with their open tasks) and any other open task go to ``deals_to``; the clients he is
    responsible for go to ``clients_to`` (default: ``deals_to``). Then the account is deactivated, which ends
    his sessions and revokes his API tokens. Closed deals stay his: they are history.
    """
    require_perm(actor, "configure")
    if user is None or getattr(user, "is_system", False):
        raise DomainError(_("Choose a user."), field="user")
    if user.pk == actor.pk:
        raise DomainError(_("You cannot deactivate your own account."), field="user")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise DomainError(_("This user is already deactivated."), field="user")
    clients_to = clients_to or deals_to
    for recipient, field in ((deals_to, "deals_to"), (clients_to, "clients_to")):
        if recipient is None:
            raise DomainError(_("Choose who takes the work over."), field=field)
        if recipient.pk == user.pk:
            raise DomainError(_("Choose another person than the one deactivated."), field=field)
        require_assignable(actor, recipient, field=field)
    deals = list(Deal.objects.select_for_update().filter(owner=user, status=DealStatus.OPEN)
                 .select_related("owner").order_by("pk"))
    tasks = open_work_of(user)["tasks"]
    for deal in deals:
        reassign_deal(actor=actor, deal=deal, owner=deals_to)
    hand_over_open_tasks(actor=actor, from_user=user, to_user=deals_to)
    clients = list(Client.objects.filter(responsible=user).order_by("pk"))
    for client in clients:
        update_client(actor=actor, client=client, responsible=clients_to)
    update_user(actor=actor, user=user, role=user.role, team=user.team, is_active=False,
                first_name=user.first_name, last_name=user.last_name, email=user.email)
    return {"deals": len(deals), "tasks": tasks, "clients": len(clients)}


# --- archive ------------------------------------------------------------------------------------------------

@transaction.atomic
def set_deal_archived(*, actor: User, deal: Deal, archived: bool, expected_version: int | None = None) -> Deal:
    """Put a closed deal away (a mistake, a duplicate) or bring it back; nothing is ever deleted.

    An archived deal leaves lists, search, the board and reports; its page, history and log stay. An open
    deal is closed first (lost, with a reason such as "Ошибочная заявка"), so no open deal is hidden.
    """
    require_perm(actor, "change", deal)
    deal = _lock(deal)
    if archived and deal.status == DealStatus.OPEN:
        raise DomainError(_("Close the deal first (lost, with a reason): an open deal cannot be archived."),
                          field="archived")
    if deal.is_archived == archived:
        return deal
    deal.is_archived = archived
    _save(deal, ["is_archived"], expected_version)
    record_event(actor=actor, verb="deal.archived" if archived else "deal.restored", target=deal,
                 changes={"is_archived": (not archived, archived)})
    return deal


def set_deal_list_columns(*, actor: User, columns: Any) -> list[str]:
    """The columns ``actor`` shows in the deal list, in order (keys of ``deals.columns``: standard ones and
    ``cf:<key>`` of active custom deal fields); an unknown key or an empty choice is a field error."""
    from voronka.catalog.selectors import list_custom_fields
    from voronka.deals.columns import COLUMNS_MAX, available_columns
    from voronka.deals.models import DealListPreference

    if actor is None or not actor.is_authenticated:
        raise DomainError(_("Sign in first."), field="columns")
    if not isinstance(columns, list | tuple) or not all(isinstance(k, str) for k in columns):
        raise DomainError(_("Columns must be a list of column keys."), field="columns")
    keys = [k for k in dict.fromkeys(columns) if k != "title"]
    if not keys:
        raise DomainError(_("Choose at least one column besides the title."), field="columns")
    if len(keys) > COLUMNS_MAX:
        raise DomainError(_("At most %(n)s columns.") % {"n": COLUMNS_MAX}, field="columns")
    known = {c.key for c in available_columns(list(list_custom_fields(actor=actor)))}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise DomainError(_("Unknown columns: %(keys)s.") % {"keys": ", ".join(unknown)}, field="columns")
    DealListPreference.objects.update_or_create(user=actor, defaults={"columns": keys})
    logger.info("deal list columns set", extra={"user_id": actor.pk, "columns": len(keys)})
    return keys
