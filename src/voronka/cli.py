"""The ``voronka`` command: serve, worker, scheduler, migrate, demo, createadmin, check, pipeline lint, backup, restore, tick,
report, import, export, manage."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _serve_refusal(workers: int) -> str | None:
    """Why this host must not start serving, or None. Migrations are ``voronka migrate``'s job (one step
    per release, not one per web host); several production processes need a cache they share."""
    from django.conf import settings

    from voronka.core.migrations_state import pending_migrations

    backend = settings.CACHES["default"]["BACKEND"]
    if settings.PRODUCTION and workers > 1 and not backend.endswith("RedisCache"):
        return (f"{workers} web processes in production need a shared cache: set CACHE_URL=redis://... "
                "(or run --workers 1).")
    pending = pending_migrations()
    if pending:
        return (f"{len(pending)} database migration(s) are not applied ({', '.join(pending[:5])}"
                f"{', ...' if len(pending) > 5 else ''}): run `voronka migrate` first.")
    return None


def cmd_serve(ns: argparse.Namespace) -> int:
    """Production server: gunicorn with whitenoise serving the static files; never migrates."""
    _setup()
    refusal = _serve_refusal(ns.workers)
    if refusal:
        print(f"voronka serve: {refusal}", file=sys.stderr, flush=True)
        return 2
    from gunicorn.app.wsgiapp import run

    bind = f"{ns.host}:{ns.port}"
    sys.argv = ["gunicorn", "voronka.wsgi:application", "--bind", bind, "--workers", str(ns.workers),
                "--threads", str(ns.threads), "--access-logfile", "-", "--timeout", "60"]
    print(f"Voronka is serving on http://{bind}", flush=True)
    run()
    return 0


def cmd_worker(ns: argparse.Namespace) -> int:
    """The task worker with its heartbeat, the recovery of dead workers' tasks and (by default) the scheduler;
    ``--supervise`` keeps one running (started again whenever it exits); ``--batch`` empties the queue once."""
    if ns.supervise:
        from voronka.automation.supervisor import supervise

        argv = ["--interval", str(ns.interval)] + (["--no-scheduler"] if ns.no_scheduler else [])
        return supervise(argv)
    _setup()
    from voronka.automation.worker import run_worker

    run_worker(interval=ns.interval, scheduler=not (ns.no_scheduler or ns.batch), max_tasks=ns.max_tasks,
               batch=ns.batch)
    return 0


def cmd_scheduler(ns: argparse.Namespace) -> int:
    """Only the scheduler: record each due job's run and queue its task (a worker runs it)."""
    _setup()
    from voronka.automation.worker import run_scheduler

    run_scheduler(interval=ns.interval, once=ns.once)
    return 0


def cmd_migrate(ns: argparse.Namespace) -> int:
    _setup()
    _manage("migrate", "--no-input")
    return 0


def cmd_demo(ns: argparse.Namespace) -> int:
    _setup()
    from voronka.demo.generator import DemoRefused, build_demo

    if ns.reset and not ns.yes:
        if not sys.stdin.isatty():
            print("voronka demo: --reset deletes every deal, client, task, the stage log and the audit trail; "
                  "add --yes to confirm", file=sys.stderr)
            return 2
        answer = input("This deletes every deal, client, task, the stage log and the audit trail. Type 'yes': ")
        if answer.strip().lower() != "yes":
            print("voronka demo: nothing deleted", file=sys.stderr)
            return 1
    try:
        stats = build_demo(size=ns.size, seed=ns.seed, reset=ns.reset, language=ns.language, echo=print)
    except DemoRefused as exc:
        print(f"voronka demo: {exc}", file=sys.stderr)
        return 2
    print(", ".join(f"{k}: {v}" for k, v in stats.items()))
    return 0


def cmd_createadmin(ns: argparse.Namespace) -> int:
    _setup()
    from voronka.accounts.services import ensure_admin

    user, created = ensure_admin(username=ns.username, password=ns.password, email=ns.email)
    print(("created" if created else "updated") + f" administrator {user.username}")
    return 0


def cmd_check(ns: argparse.Namespace) -> int:
    _setup()
    from django.core.management.base import SystemCheckError
    from django.db import DatabaseError, connection

    try:
        _manage("check", "--deploy" if ns.deploy else "--fail-level=ERROR")
    except SystemCheckError as exc:  # the checks' own report, without a traceback
        print(str(exc), file=sys.stderr)
        return 1

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        print(f"database: {connection.vendor} unreachable: {exc}", file=sys.stderr)
        return 1
    print(f"database: {connection.vendor} ok")
    return 0


def cmd_pipeline(ns: argparse.Namespace) -> int:
    _setup()
    from voronka.pipelines.lint import lint_stage_name
    from voronka.pipelines.selectors import list_pipelines

    warnings = 0
    for pipeline in list_pipelines(active_only=False):
        if ns.slug and pipeline.slug != ns.slug:
            continue
        for stage in pipeline.stages.all():
            warning = lint_stage_name(stage.name)
            if warning:
                warnings += 1
                print(f"{pipeline.slug}/{stage.slug}: {warning}")
    print(f"{warnings} warning(s)")
    return 1 if warnings and ns.strict else 0


def cmd_tick(ns: argparse.Namespace) -> int:
    """Run every scheduled job due at ``--now`` once and exit (``automation/jobs.py`` and the apps' ``jobs.py``:
    the retry of undispatched events, webhook deliveries, the mailbox, purges, SLA monitors, reminders,
    digests...). A job whose slot already ran (by another tick, a scheduler, another host) is skipped, so a
    second tick for the same moment has no second effect."""
    _setup()
    import datetime as dt

    from django.utils import timezone

    from voronka.automation.scheduler import run_due

    now = timezone.now()
    if ns.now:
        try:
            now = dt.datetime.fromisoformat(ns.now)
        except ValueError:
            print(f"--now: not an ISO 8601 moment: {ns.now}", file=sys.stderr)
            return 2
        if timezone.is_naive(now):
            now = timezone.make_aware(now)
    failed = 0
    for job, result, note in run_due(now=now):
        if result is None:
            print(f"{job.name}: {note}")
            failed += note.startswith("failed")
            continue
        for label, count in result.items():
            print(f"{label}: {count}")
    return 1 if failed else 0


def cmd_backup(ns: argparse.Namespace) -> int:
    """A consistent snapshot of the whole database into FILE (SQLite: the online backup API; PostgreSQL: pg_dump)."""
    _setup()
    from voronka.core.backup import BackupError, backup

    try:
        path = backup(Path(ns.file))
    except BackupError as exc:
        print(f"voronka backup: {exc}", file=sys.stderr)
        return 2
    print(f"backup written: {path} ({path.stat().st_size} bytes)")
    return 0


def cmd_restore(ns: argparse.Namespace) -> int:
    """Restore FILE into an empty database (a new data directory, or an empty PostgreSQL database)."""
    _setup()
    from voronka.core.backup import BackupError, restore

    try:
        restore(Path(ns.file))
    except BackupError as exc:
        print(f"voronka restore: {exc}", file=sys.stderr)
        return 2
    print(f"restored from {ns.file}")
    return 0


def _report_list() -> int:
    from voronka.analytics.engine import list_reports

    for report in list_reports():
        info = report.describe()
        flags = []
        if info["period"]:
            flags.append("--from DATE --to DATE" + (" (required)" if info["period_required"] else ""))
        if info["modes"]:
            flags.append("--mode " + "|".join(info["modes"]))
        if info.get("revenue"):
            flags.append("--revenue " + "|".join(info["revenue"]))
        flags.append("--by " + ",".join(info["by"]) + (f" (default {','.join(info['default_by'])})"
                                                       if info["default_by"] else ""))
        print(f"{report.name}: {info['title']}. {info['description']}")
        print(f"    --pipeline SLUG {' '.join(flags)}")
        print(f"    rows: {', '.join(info['columns'])}")
    return 0


def cmd_report(ns: argparse.Namespace) -> int:
    """``voronka report NAME ...``: a report as JSON/CSV/XLSX; bad parameters exit 2 with the reason."""
    _setup()
    if ns.list:
        return _report_list()

    def fail(message: str) -> int:
        print(f"voronka report: error: {message}", file=sys.stderr)
        return 2

    if not ns.name:
        return fail("name a report (voronka report --list shows them)")
    from voronka.accounts.models import User
    from voronka.analytics import export
    from voronka.analytics.engine import full_scope_actor, run_report
    from voronka.core.errors import DomainError

    actor = full_scope_actor()
    if ns.as_user:
        actor = User.objects.filter(username=ns.as_user, is_active=True).first()
        if actor is None:
            return fail(f"no active user “{ns.as_user}”")
    raw: dict[str, str | None] = {"from": ns.date_from, "to": ns.date_to, "pipeline": ns.pipeline, "by": ns.by,
                                  "mode": ns.mode, "revenue": getattr(ns, "revenue", None)}
    for item in ns.filter or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            return fail(f"--filter takes SLICE=ID, not “{item}”")
        raw[key.strip()] = value.strip()
    if ns.format == "xlsx" and not ns.output:
        return fail("--format xlsx needs --output FILE")
    try:
        result = run_report(actor=actor, name=ns.name, params=raw)
    except DomainError as exc:
        return fail(f"{exc.field}: {exc.message}" if exc.field and exc.field != "report" else exc.message)
    try:
        if ns.format == "xlsx":
            export.write_xlsx(result, ns.output)
            return 0
        text = export.to_json(result) + "\n" if ns.format == "json" else "".join(export.iter_csv(result))
        if ns.output:
            with open(ns.output, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
    except OSError as exc:
        return fail(f"cannot write {ns.output}: {exc.strerror}")
    return 0


def _import_actor(username: str):
    from voronka.accounts.models import User
    from voronka.accounts.services import get_system_actor

    if not username:
        return get_system_actor()
    return User.objects.filter(username=username, is_active=True).first()


def _print_batch(batch) -> None:
    import json

    print(json.dumps({"batch": batch.pk, "kind": batch.kind, "file": batch.file_name, "status": batch.status,
                      "rows": batch.rows_total, "seconds": batch.seconds, "counts": batch.counts,
                      "report": batch.report, "errors": batch.errors[:20],
                      "errors_total": len(batch.errors)}, ensure_ascii=False, indent=2))


def cmd_import(ns: argparse.Namespace) -> int:
    """``voronka import KIND FILE --mapping M [--dry-run]`` or ``voronka import --undo BATCH``: exit 0 when
    applied (or a clean dry run), 1 with row errors (nothing written), 2 on bad arguments."""
    _setup()
    from voronka.core.errors import DomainError
    from voronka.imports.selectors import get_batch
    from voronka.imports.services import errors_csv, run_import, undo_import

    def fail(message: str) -> int:
        print(f"voronka import: error: {message}", file=sys.stderr)
        return 2

    actor = _import_actor(ns.as_user)
    if actor is None:
        return fail(f"no active user “{ns.as_user}”")
    if ns.undo is not None:
        try:
            counts = undo_import(actor=actor, batch=get_batch(ns.undo))
        except DomainError as exc:
            return fail(exc.message)
        print(f"batch {ns.undo} undone: " + (", ".join(f"{k}: {v}" for k, v in counts.items()) or "nothing"))
        return 0
    if not ns.kind or not ns.file or not ns.mapping:
        return fail("give KIND FILE --mapping FILE.yaml (or --undo BATCH_ID)")
    try:
        batch = run_import(actor=actor, kind=ns.kind, path=ns.file, mapping=ns.mapping, dry_run=ns.dry_run)
    except DomainError as exc:
        return fail(exc.message)
    _print_batch(batch)
    if batch.errors and ns.errors_csv:
        with open(ns.errors_csv, "w", encoding="utf-8", newline="") as handle:
            handle.write(errors_csv(batch))
    return 0 if batch.status in ("applied", "dry_run") else 1


def cmd_export(ns: argparse.Namespace) -> int:
    """``voronka export KIND``: a list (deals, clients, tasks) or a timeline as CSV/XLSX/JSON, audited."""
    _setup()

    def fail(message: str) -> int:
        print(f"voronka export: error: {message}", file=sys.stderr)
        return 2

    from voronka.accounts.models import User
    from voronka.accounts.services import get_system_actor
    from voronka.core import tabular
    from voronka.core.errors import DomainError
    from voronka.integrations.exports import TIMELINE_KINDS, build_export

    actor = get_system_actor()
    if ns.as_user:
        actor = User.objects.filter(username=ns.as_user, is_active=True, is_system=False).first()
        if actor is None:
            return fail(f"no active user “{ns.as_user}”")
    params: dict[str, str] = {}
    for item in ns.filter or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            return fail(f"--filter takes KEY=VALUE, not “{item}”")
        params[key.strip()] = value.strip()
    if ns.kind in TIMELINE_KINDS and ns.id is None:
        return fail(f"{ns.kind} needs --id of the deal or client")
    if ns.format == "xlsx" and not ns.output:
        return fail("--format xlsx needs --output FILE")
    try:
        export = build_export(actor=actor, kind=ns.kind, params=params, object_id=ns.id)
    except DomainError as exc:
        return fail(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    try:
        if ns.format == "xlsx":
            tabular.write_xlsx(ns.output, [(export.title, export.header, export.rows)])
            return 0
        handle = open(ns.output, "w", encoding="utf-8", newline="") if ns.output else sys.stdout  # noqa: SIM115
        try:
            if ns.format == "json":
                handle.write(tabular.to_json(export.header, export.rows) + "\n")
            else:
                for line in tabular.iter_csv(export.header, export.rows):
                    handle.write(line)
        finally:
            if ns.output:
                handle.close()
    except OSError as exc:
        return fail(f"cannot write {ns.output}: {exc.strerror}")
    return 0


def cmd_manage(ns: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["voronka manage", *ns.args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voronka", description="Voronka CRM")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the production web server")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", default=os.environ.get("PORT", "8000"))
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
    p.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the background task worker (and the scheduler)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between looks at an empty queue")
    p.add_argument("--batch", action="store_true", help="process the queue and exit")
    p.add_argument("--no-scheduler", action="store_true",
                   help="run tasks only (the scheduler runs elsewhere: voronka scheduler)")
    p.add_argument("--supervise", action="store_true", help="keep a worker running: start it again when it exits")
    p.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("scheduler", help="run only the scheduler: queue each scheduled job once per slot")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.set_defaults(func=cmd_scheduler)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="build deterministic demo data")
    p.add_argument("--size", choices=["small", "medium", "large"], default="small")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--language", choices=["ru", "en"], default="ru")
    p.add_argument("--reset", action="store_true",
                   help="delete every deal, client, task, the stage log and the audit trail first (asks)")
    p.add_argument("--yes", action="store_true", help="confirm --reset without asking")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("createadmin", help="create or reset an administrator")
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default=os.environ.get("VORONKA_ADMIN_PASSWORD", ""))
    p.add_argument("--email", default="")
    p.set_defaults(func=cmd_createadmin)

    p = sub.add_parser("check", help="check configuration and database")
    p.add_argument("--deploy", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("pipeline", help="pipeline tools")
    psub = p.add_subparsers(dest="action", required=True)
    lint = psub.add_parser("lint", help="warn on stage names that describe a state")
    lint.add_argument("slug", nargs="?")
    lint.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    lint.set_defaults(func=cmd_pipeline)

    p = sub.add_parser("backup", help="write a consistent snapshot of the database to FILE")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup FILE into an empty database")
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("tick", help="run every scheduled job due at that moment once, then exit")
    p.add_argument("--now", default="", help="the moment to run for, ISO 8601 (default: now)")
    p.set_defaults(func=cmd_tick)

    p = sub.add_parser("report", help="compute a report (voronka report --list names them)")
    p.add_argument("name", nargs="?", help="report name, e.g. funnel, win-rate, cycle")
    p.add_argument("--list", action="store_true", help="list the reports and their parameters")
    p.add_argument("--pipeline", metavar="SLUG")
    p.add_argument("--by", metavar="SLICE[,SLICE]", help="group by up to two slices")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="period start, YYYY-MM-DD (inclusive)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="period end, YYYY-MM-DD (inclusive)")
    p.add_argument("--mode", metavar="cohort|flow")
    p.add_argument("--revenue", metavar="won|cash", help="revenue by won deals (default) or payments received")
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="compute within this user's scope")
    p.add_argument("--filter", action="append", metavar="SLICE=ID", help="keep one slice value (repeatable)")
    p.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    p.add_argument("--output", metavar="FILE")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("import", help="import users, products, clients, contacts, deals or plans from CSV/XLSX with a "
                                      "mapping")
    p.add_argument("kind", nargs="?", choices=["users", "products", "clients", "contacts", "deals", "plans"])
    p.add_argument("file", nargs="?")
    p.add_argument("--mapping", metavar="FILE.yaml")
    p.add_argument("--dry-run", action="store_true", help="do everything, then roll back; report what would happen")
    p.add_argument("--undo", type=int, metavar="BATCH_ID", help="delete what an applied batch created")
    p.add_argument("--as", dest="as_user", default="", metavar="USERNAME",
                   help="import as this user (default: the system actor)")
    p.add_argument("--errors-csv", metavar="FILE", help="write the row errors as CSV")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export a list or a timeline (deals, clients, tasks, deal-timeline, "
                                      "client-timeline) as CSV, XLSX or JSON")
    p.add_argument("kind", choices=["deals", "clients", "tasks", "deal-timeline", "client-timeline"])
    p.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="export within this user's scope "
                   "(default: everything, as the system)")
    p.add_argument("--filter", action="append", metavar="KEY=VALUE",
                   help="a filter of the list, as in its address, e.g. status=open, owner=3 (repeatable)")
    p.add_argument("--id", type=int, metavar="ID", help="the deal or client of a timeline")
    p.add_argument("--output", metavar="FILE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("manage", help="run a Django management command")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    return ns.func(ns) or 0


if __name__ == "__main__":
    sys.exit(main())
