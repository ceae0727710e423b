"""The scheduled jobs (``automation.scheduler``): what ``voronka worker``/``voronka scheduler`` run on their
schedule and ``voronka tick`` runs when due. Each returns ``{label: count}`` (what ``tick`` prints) and is
idempotent, so a run taken again after a crash changes nothing twice. Other apps add theirs in their own
``jobs.py`` (e.g. ``analytics.jobs``); the automation app imports every one at start-up."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from voronka.automation import digests, monitors
from voronka.automation.scheduler import job, parse_hhmm
from voronka.automation.services import send_due_emails
from voronka.automation.worker import prune, recover_lost_tasks


@job("events.retry", every_minutes=1)
def retry_events(*, now: dt.datetime) -> dict[str, int]:
    from voronka.events.dispatch import dispatch_pending

    return {"events dispatched": dispatch_pending(now=now)}


@job("integrations.webhooks", every_minutes=1)
def webhooks(*, now: dt.datetime) -> dict[str, int]:
    from voronka.integrations.delivery import deliver_due

    return {"webhook deliveries attempted": deliver_due(now=now)}


@job("integrations.mailbox", every_minutes=1)
def mailbox(*, now: dt.datetime) -> dict[str, int]:
    from voronka.integrations.mailbox import poll_mailbox

    return {"mailbox messages taken": poll_mailbox()}


@job("accounts.purge", every_minutes=60)
def purge(*, now: dt.datetime) -> dict[str, int]:
    from voronka.accounts.services import purge_expired_sessions, purge_idempotency_keys

    return {"expired sessions deleted": purge_expired_sessions(now=now),
            "idempotency keys purged": purge_idempotency_keys(now=now)}


@job("automation.recover_tasks", every_minutes=1)
def recover(*, now: dt.datetime) -> dict[str, int]:
    return recover_lost_tasks(now=now)


@job("automation.emails", every_minutes=1)
def emails(*, now: dt.datetime) -> dict[str, int]:
    return {"notification emails sent": send_due_emails(now=now)}


@job("automation.task_reminders", every_minutes=1)
def task_reminders(*, now: dt.datetime) -> dict[str, int]:
    return {"notifications, tasks due soon": monitors.tasks_due_soon(now=now)}


@job("automation.monitors", every_minutes=5)
def sla_monitors(*, now: dt.datetime) -> dict[str, int]:
    return {"notifications, overdue tasks": monitors.overdue_tasks(now=now),
            "notifications, rotting deals": monitors.rotting_deals(now=now),
            "notifications, deals without a task": monitors.deals_without_task(now=now),
            "notifications, hand-offs not taken up": monitors.handoffs_not_accepted(now=now)}


@job("automation.daily_digest", daily_at=parse_hhmm(settings.VORONKA_DIGEST_TIME, setting="VORONKA_DIGEST_TIME"))
def daily_digest(*, now: dt.datetime) -> dict[str, int]:
    return {"daily digests": digests.daily_digests(now=now)}


@job("automation.morning_summary",
     daily_at=parse_hhmm(settings.VORONKA_SUMMARY_TIME, setting="VORONKA_SUMMARY_TIME"))
def morning_summary(*, now: dt.datetime) -> dict[str, int]:
    return {"morning summaries": digests.morning_summaries(now=now)}


@job("automation.prune", daily_at=dt.time(3, 0), grace=dt.timedelta(hours=20))
def prune_history(*, now: dt.datetime) -> dict[str, int]:
    return prune(now=now)


@job("mailings", every_minutes=1)
def mailing_jobs(*, now: dt.datetime) -> dict[str, int]:
    """Mailings sit below automation in the app order, so their periodic work is registered here."""
    from voronka.mailings.services import run_jobs

    return {f"mailings, {name}": count for name, count in run_jobs(now=now).items()}
