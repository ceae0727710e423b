"""The ``on_enter`` rulebook of a stage: declarative actions, validated when saved.

Stored as a list of objects, e.g. ``{"action": "create_task", "kind": "call", "due_days": 1}``. The shape of
every action (and its references to users, teams and deal fields, which live in apps below) is checked here;
references to things of higher apps (email templates, sequences, webhooks) are checked by functions those
apps register at start-up (``register_reference_check``, called by ``AutomationConfig.ready``). An action
whose check is not registered cannot run, so it is refused, never skipped. The old names
(``create_task_call`` …) are read as their ``create_task`` equivalents.

``create_task`` runs inside the transaction that moves the deal (a task is part of the deal's state);
every other action runs after commit, from the ``stage.entered`` event (``automation.actions``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import User
from voronka.core.errors import DomainError

FIELD = "on_enter"
MAX_ACTIONS = 20
MAX_DUE_DAYS = 365
TEXT_MAX = 500
# The task kinds of ``activities.TaskKind`` (an app above this one); tests/mailings check they agree.
TASK_KINDS = ("call", "meeting", "email", "demo", "other")
PEOPLE = ("deal_owner", "stage_owner", "team_lead")

LEGACY = {
    "create_task_call": {"action": "create_task", "kind": "call", "due_days": 1},
    "create_task_email": {"action": "create_task", "kind": "email", "due_days": 1},
    "create_task_meeting": {"action": "create_task", "kind": "meeting", "due_days": 1},
    "notify_owner": {"action": "notify", "to": "deal_owner"},
}

ACTION_LABELS = {
    "create_task": gettext_lazy("create a task"),
    "notify": gettext_lazy("notify someone"),
    "send_email": gettext_lazy("send an email template"),
    "start_sequence": gettext_lazy("start a sequence"),
    "stop_sequence": gettext_lazy("stop sequences"),
    "assign_owner": gettext_lazy("assign the owner"),
    "webhook": gettext_lazy("call a webhook"),
    "set_field": gettext_lazy("set a field"),
}
# The keys each action takes besides ``action`` (and which of them are required).
KEYS: dict[str, tuple[set[str], set[str]]] = {
    "create_task": ({"kind", "due_days", "assignee", "title"}, {"kind"}),
    "notify": ({"to", "text"}, {"to"}),
    "send_email": ({"template"}, {"template"}),
    "start_sequence": ({"sequence"}, {"sequence"}),
    "stop_sequence": ({"sequence"}, set()),
    "assign_owner": ({"user", "team", "mode"}, set()),
    "webhook": ({"subscription"}, {"subscription"}),
    "set_field": ({"field", "value"}, {"field", "value"}),
}

# ``assign_owner`` with a team: the next active member in turn, or the one with the fewest open deals.
TEAM_MODES = ("round_robin", "least_loaded")

ReferenceCheck = Callable[[dict[str, Any]], None]
_reference_checks: dict[str, ReferenceCheck] = {}
NEEDS_REFERENCE = ("send_email", "start_sequence", "stop_sequence", "webhook")


def register_reference_check(action: str, check: ReferenceCheck) -> None:
    """A higher app says it can run ``action``: ``check(spec)`` raises ``DomainError`` for a bad reference."""
    _reference_checks[action] = check


def _err(index: int, message: str, code: str = "invalid") -> DomainError:
    return DomainError(_("Action %(n)s: %(message)s") % {"n": index + 1, "message": message}, field=FIELD, code=code)


def _int(value: Any, *, index: int, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isascii()
                                                                   and value.isdigit())):
        raise _err(index, _("“%(key)s” must be a whole number.") % {"key": key})
    number = int(value)
    if not low <= number <= high:
        raise _err(index, _("“%(key)s” must be from %(low)s to %(high)s.") % {"key": key, "low": low, "high": high})
    return number


def _text(value: Any, *, index: int, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _err(index, _("“%(key)s” must be text.") % {"key": key})
    if len(value) > TEXT_MAX:
        raise _err(index, _("“%(key)s”: at most %(n)s characters.") % {"key": key, "n": TEXT_MAX})
    return value.strip()


def check_action(raw: Any, index: int = 0) -> dict[str, Any]:
    """One action, normalised (legacy names mapped), or a ``DomainError`` on ``on_enter`` naming it."""
    if isinstance(raw, str):
        if raw in LEGACY:
            raw = dict(LEGACY[raw])
        elif raw == "send_email_reanimation":
            raise _err(index, _("“send_email_reanimation” is now a sequence: use {\"action\": \"start_sequence\", "
                                "\"sequence\": ID}."))
        else:
            raise _err(index, _("Unknown action “%(a)s”.") % {"a": raw[:80]})
    if not isinstance(raw, dict):
        raise _err(index, _("An action is an object such as {\"action\": \"create_task\", \"kind\": \"call\"}."))
    name = raw.get("action")
    if name not in KEYS:
        raise _err(index, _("Unknown action “%(a)s”. Known: %(known)s.")
                   % {"a": str(name)[:80], "known": ", ".join(KEYS)})
    allowed, required = KEYS[name]
    unknown = set(raw) - allowed - {"action"}
    if unknown:
        raise _err(index, _("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))})
    missing = required - set(raw)
    if missing:
        raise _err(index, _("Missing keys: %(keys)s.") % {"keys": ", ".join(sorted(missing))})
    spec: dict[str, Any] = {"action": name}
    if name == "create_task":
        if raw["kind"] not in TASK_KINDS:
            raise _err(index, _("Unknown task kind. Known: %(known)s.") % {"known": ", ".join(TASK_KINDS)})
        spec["kind"] = raw["kind"]
        spec["due_days"] = _int(raw.get("due_days", 1), index=index, key="due_days", low=0, high=MAX_DUE_DAYS)
        assignee = raw.get("assignee", "deal_owner")
        if assignee not in PEOPLE:
            raise _err(index, _("“assignee” is one of: %(known)s.") % {"known": ", ".join(PEOPLE)})
        spec["assignee"] = assignee
        if raw.get("title"):
            spec["title"] = _text(raw["title"], index=index, key="title")[:255]
    elif name == "notify":
        if raw["to"] not in PEOPLE:
            raise _err(index, _("“to” is one of: %(known)s.") % {"known": ", ".join(PEOPLE)})
        spec["to"] = raw["to"]
        if raw.get("text"):
            spec["text"] = _text(raw["text"], index=index, key="text")
    elif name in ("send_email", "start_sequence", "webhook"):
        key = {"send_email": "template", "start_sequence": "sequence", "webhook": "subscription"}[name]
        spec[key] = _int(raw[key], index=index, key=key, low=1, high=2**31 - 1)
    elif name == "stop_sequence":
        if raw.get("sequence") not in (None, "", "all"):
            spec["sequence"] = _int(raw["sequence"], index=index, key="sequence", low=1, high=2**31 - 1)
    elif name == "assign_owner":
        if ("user" in raw) == ("team" in raw):
            raise _err(index, _("Give either “user” or “team” (with “mode”: %(modes)s).")
                       % {"modes": ", ".join(TEAM_MODES)})
        if "user" in raw:
            if "mode" in raw:
                raise _err(index, _("“mode” goes with “team” only."))
            pk = _int(raw["user"], index=index, key="user", low=1, high=2**31 - 1)
            user = User.objects.filter(pk=pk, is_active=True, is_system=False).first()
            if user is None or user.role == "analyst":
                raise _err(index, _("User %(id)s is not an active user who can own deals.") % {"id": pk})
            spec["user"] = pk
        else:
            from voronka.accounts.models import Team

            pk = _int(raw["team"], index=index, key="team", low=1, high=2**31 - 1)
            mode = raw.get("mode", "round_robin")
            if mode not in TEAM_MODES:
                raise _err(index, _("“mode” is one of: %(modes)s.") % {"modes": ", ".join(TEAM_MODES)})
            if not Team.objects.filter(pk=pk).exists():
                raise _err(index, _("Team %(id)s does not exist.") % {"id": pk})
            if not User.objects.filter(team_id=pk, is_active=True, is_system=False,
                                       role__in=("manager", "lead")).exists():
                raise _err(index, _("Team %(id)s has no active manager or lead to give deals to.") % {"id": pk})
            spec["team"], spec["mode"] = pk, mode
    elif name == "set_field":
        from voronka.catalog.fields import deal_fields

        registry = deal_fields()
        try:
            field = registry.require(str(raw["field"]))
            field.parse(raw["value"])
        except DomainError as exc:
            raise _err(index, exc.message) from None
        if field.key in ("lines", "owner", "team"):
            raise _err(index, _("“%(key)s” cannot be set by an action.") % {"key": field.key})
        spec["field"], spec["value"] = field.key, raw["value"]
    if name in NEEDS_REFERENCE:
        check = _reference_checks.get(name)
        if check is None:
            raise _err(index, _("“%(a)s” is not available in this installation.") % {"a": name}, "not_implemented")
        try:
            check(spec)
        except DomainError as exc:
            raise _err(index, exc.message) from None
    return spec


def check_on_enter(actions: Any) -> list[dict[str, Any]]:
    """The whole list, normalised; the first bad action is refused with its number."""
    if actions in (None, ""):
        return []
    if not isinstance(actions, list | tuple):
        raise DomainError(_("Automation must be a list."), field=FIELD)
    if len(actions) > MAX_ACTIONS:
        raise DomainError(_("At most %(n)s actions.") % {"n": MAX_ACTIONS}, field=FIELD)
    return [check_action(raw, index) for index, raw in enumerate(actions)]


def normalised(actions: Any) -> list[dict[str, Any]]:
    """Stored actions as objects, without checks (a legacy name read as its object; anything else dropped)."""
    result = []
    for raw in actions or []:
        if isinstance(raw, str) and raw in LEGACY:
            result.append(dict(LEGACY[raw]))
        elif isinstance(raw, dict) and raw.get("action") in KEYS:
            result.append(raw)
    return result


