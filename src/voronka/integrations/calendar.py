"""The iCalendar feed of a user's open tasks at a secret, revocable address (Google, Yandex, Outlook calendars
subscribe to it): timed tasks as 30-minute events, the others as all-day events, one stable UID per task."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

import icalendar
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import pipeline_q, scope_q
from voronka.activities.models import Task, TaskStatus
from voronka.core.errors import Forbidden, NotFound
from voronka.events.services import record_event
from voronka.integrations.models import CalendarFeed

EVENT_MINUTES = 30
FEED_LIMIT = 2000  # open tasks in one feed, the earliest first
LAST_USED_EVERY = dt.timedelta(minutes=5)  # a calendar polls often: note the use at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_person(actor: User | None) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active or actor.is_system:
        raise Forbidden(_("You must be signed in."))


def active_feed(*, actor: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).first()


@transaction.atomic
def create_feed(*, actor: User) -> tuple[CalendarFeed, str]:
    """A new secret address for the actor (the previous one, if any, stops working); returns the token,
    which is stored only as a hash and shown once."""
    _require_person(actor)
    User.objects.select_for_update().filter(pk=actor.pk).first()  # one rotation at a time per user
    old = active_feed(actor=actor)
    if old is not None:
        _revoke(actor, old)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor, token_hash=_hash(token))
    record_event(actor=actor, verb="calendar_feed.created", target=feed, data={"replaced": getattr(old, "pk", None)})
    return feed, token


@transaction.atomic
def revoke_feed(*, actor: User) -> CalendarFeed | None:
    """Stop the actor's address (nothing to do without one)."""
    _require_person(actor)
    feed = CalendarFeed.objects.select_for_update().filter(user=actor, revoked_at__isnull=True).first()
    if feed is not None:
        _revoke(actor, feed)
    return feed


def _revoke(actor: User, feed: CalendarFeed) -> None:
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    record_event(actor=actor, verb="calendar_feed.revoked", target=feed)


def feed_owner(*, token: str) -> User:
    """The user of an active address; an unknown, revoked or deactivated one is ``NotFound``."""
    token = str(token or "")
    if not 20 <= len(token) <= 100:
        raise NotFound(_("No such calendar."))
    feed = (CalendarFeed.objects.select_related("user")
            .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True).first())
    if feed is None:
        raise NotFound(_("No such calendar."))
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > LAST_USED_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user


def feed_tasks(*, user: User) -> list[Task]:
    """The user's own open tasks, within his scope and pipelines."""
    return list(Task.objects.filter(scope_q(user, "activities.Task"), pipeline_q(user, "activities.Task"),
                                    assignee=user, status=TaskStatus.OPEN)
                .select_related("deal", "deal__client", "client").order_by("due_date", "due_time", "id")
                [:FEED_LIMIT])


def build_feed(*, user: User, tasks: list[Task], link: Callable[[Task], str], host: str) -> bytes:
    """The calendar (RFC 5545) of ``tasks``; ``link`` gives a task's absolute address (its deal or client)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Voronka//Tasks//RU")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("Voronka: tasks of %(name)s") % {"name": user})
    stamp = timezone.now()
    zone = timezone.get_current_timezone()
    for task in tasks:
        event = icalendar.Event()
        event.add("uid", f"task-{task.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", task.title)
        if task.due_time is not None:
            start = dt.datetime.combine(task.due_date, task.due_time, tzinfo=zone)
            event.add("dtstart", start)
            event.add("dtend", start + dt.timedelta(minutes=EVENT_MINUTES))
        else:
            event.add("dtstart", task.due_date)
            event.add("dtend", task.due_date + dt.timedelta(days=1))
        url = link(task)
        lines = []
        if task.deal_id:
            lines.append(_("Deal: %(title)s") % {"title": task.deal.title})
        client = task.deal.client if task.deal_id else task.client
        if client is not None:
            lines.append(_("Client: %(name)s") % {"name": client.name})
        lines.append(url)
        event.add("description", "\n".join(lines))
        event.add("url", url)
        event.add("categories", [task.get_kind_display()])
        cal.add_component(event)
    return cal.to_ical()
