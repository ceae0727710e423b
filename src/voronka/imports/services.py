"""Imports: a file plus a mapping becomes one batch, applied completely or not at all.

``run_import`` creates the ``ImportBatch`` (committed, so a failed run keeps its error report), then reads the
file row by row inside one transaction. Any row error rolls the whole batch back; so does a dry run, after
doing every write, so its counts are exactly what a real run would create. ``undo_import`` deletes what a
batch created, and refuses when later data depends on it or an object was changed since.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.accounts.permissions import require_perm
from voronka.core.errors import DomainError, Forbidden, NotFound
from voronka.events.services import record_event
from voronka.imports.importers import IMPORTERS, ImportContext
from voronka.imports.mapping import Mapping, MappingError, load_mapping, parse_mapping
from voronka.imports.models import BatchStatus, ImportBatch, ImportedRow
from voronka.imports.readers import FileError, open_table

logger = logging.getLogger(__name__)

ERROR_COLUMNS = ("row", "column", "value", "message")


class _Rollback(Exception):
    """Raised inside the batch transaction to undo every write (errors, or a dry run)."""


def require_importer(actor: User, kind: str) -> None:
    """Imports are for administrators and heads of sales; users and products (settings) for administrators."""
    require_perm(actor, "change")
    if actor.is_superuser or actor.role == Role.ADMIN:
        return
    if kind in ("users", "products"):
        raise Forbidden(_("Only administrators may import users and products."))
    if actor.role != Role.HEAD:
        raise Forbidden(_("Only administrators and heads of sales may import data."))


def mapping_for(kind: str, mapping: Mapping | dict | str | Path) -> Mapping:
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise DomainError(_("Unknown import kind “%(k)s”; one of: %(all)s.")
                          % {"k": kind, "all": ", ".join(IMPORTERS)}, field="kind")
    allowed = set(importer.FIELDS)
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return parse_mapping(mapping, kind=kind, allowed=allowed)
    return load_mapping(mapping, kind=kind, allowed=allowed)


def run_import(*, actor: User, kind: str, path: str | Path, mapping: Mapping | dict | str | Path,
               dry_run: bool = False) -> ImportBatch:
    """Import ``path`` as ``kind``; returns the batch (status applied, dry_run or failed, with its report)."""
    if kind not in IMPORTERS:
        raise DomainError(_("Unknown import kind “%(k)s”; one of: %(all)s.")
                          % {"k": kind, "all": ", ".join(IMPORTERS)}, field="kind")
    require_importer(actor, kind)
    path = Path(path)
    batch = ImportBatch.objects.create(kind=kind, file_name=path.name[:255], dry_run=dry_run,
                                       created_by=actor if actor.pk and not actor.is_system else None)
    return _execute(batch, actor=actor, path=path, mapping=mapping)


PROGRESS_EVERY = 500  # rows between two progress writes


def _execute(batch: ImportBatch, *, actor: User, path: Path, mapping: Mapping | dict | str | Path,
             progress: Callable[[int], None] | None = None) -> ImportBatch:
    """Run ``batch`` (status running) in one transaction; ``progress(rows_done)`` is called every
    ``PROGRESS_EVERY`` rows (it writes outside the transaction: see ``write_progress``)."""
    dry_run = batch.dry_run
    kind = batch.kind
    started = time.perf_counter()
    ctx: ImportContext | None = None
    try:
        parsed = mapping_for(kind, mapping)
        batch.mapping = parsed.raw
        with transaction.atomic():
            table = open_table(path, encoding=str(parsed.option("encoding", "")),
                               delimiter=str(parsed.option("delimiter", "")).replace("\\t", "\t"),
                               sheet=str(parsed.option("sheet", "")))
            ctx = ImportContext(actor=actor, batch=batch, mapping=parsed, header=table.header)
            importer = IMPORTERS[kind](ctx)
            ctx.check_columns()
            importer.prepare()
            for number, values in table.rows:
                ctx.rows_total += 1
                ctx.row(number, values, importer.process)
                if progress is not None and ctx.rows_total % PROGRESS_EVERY == 0:
                    progress(ctx.rows_total)
                if ctx.too_many_errors:
                    break
            if progress is not None:
                progress(ctx.rows_total)
            if not ctx.errors:
                ctx.guard(importer.finish)
            if ctx.errors or dry_run:
                raise _Rollback()
            record_event(actor=actor, verb="import.applied", target=batch,
                         data={"batch": batch.pk, "kind": kind, "file": batch.file_name, "counts": ctx.counts})
            batch.status = BatchStatus.APPLIED
    except _Rollback:
        batch.status = BatchStatus.FAILED if ctx.errors else BatchStatus.DRY_RUN
    except (FileError, MappingError, DomainError) as exc:
        batch.status = BatchStatus.FAILED
        batch.errors = [{"row": None, "column": exc.field or "", "value": "", "message": exc.message}]
    except (IntegrityError, DatabaseError) as exc:  # a constraint the checks above missed: still nothing written
        logger.exception("import refused by the database", extra={"batch_id": batch.pk})
        batch.status = BatchStatus.FAILED
        batch.errors = [{"row": (ctx.last_row or None) if ctx else None, "column": "", "value": "",
                         "message": _("The database refused the batch: %(e)s") % {"e": exc}}]
        if ctx is not None:
            batch.rows_total = ctx.rows_total
        ctx = None
    if ctx is not None:
        batch.rows_total = ctx.rows_total
        batch.counts = ctx.counts
        batch.report = ctx.report_dict()
        if ctx.errors:
            batch.errors = ctx.errors
    if batch.status == BatchStatus.RUNNING:  # pragma: no cover - every path above sets it
        batch.status = BatchStatus.FAILED
    batch.seconds = round(time.perf_counter() - started, 3)
    batch.finished_at = timezone.now()
    batch.save()
    logger.info("import finished", extra={"batch_id": batch.pk, "status": batch.status, "rows": batch.rows_total})
    return batch


# --- the worker path (Settings › Import: "Import") -------------------------------------------------------------

def queue_import(*, actor: User, kind: str, token: str, mapping: Mapping, file_name: str) -> ImportBatch:
    """Create a running batch for an uploaded file and queue it for the worker (on commit); the batch page
    polls its progress. The run itself is ``run_queued_batch``, all or nothing as ``run_import``."""
    if kind not in IMPORTERS:
        raise DomainError(_("Unknown import kind “%(k)s”; one of: %(all)s.")
                          % {"k": kind, "all": ", ".join(IMPORTERS)}, field="kind")
    require_importer(actor, kind)
    upload_path(token)  # the file is there
    batch = ImportBatch.objects.create(kind=kind, file_name=(file_name or token)[:255], dry_run=False,
                                       upload=token, queued=True,
                                       mapping=json.loads(json.dumps(mapping.raw, default=str)),
                                       created_by=actor if actor.pk and not actor.is_system else None)
    write_progress(batch.pk, 0, None)
    transaction.on_commit(partial(_enqueue, batch.pk))
    logger.info("import queued", extra={"batch_id": batch.pk})
    return batch


def _enqueue(batch_id: int) -> None:
    from voronka.imports.tasks import run_import_batch

    try:
        run_import_batch.enqueue(batch_id)
    except Exception:  # the batch stays "running" without progress: shown as stopped, it can be re-run
        logger.exception("import enqueue failed", extra={"batch_id": batch_id})


def count_rows(path: Path, mapping: Mapping) -> int | None:
    """The number of data rows (a streaming pass before the run, for the progress bar); None if unreadable."""
    try:
        table = open_table(path, encoding=str(mapping.option("encoding", "")),
                           delimiter=str(mapping.option("delimiter", "")).replace("\\t", "\t"),
                           sheet=str(mapping.option("sheet", "")))
        total = sum(1 for _row in table.rows)
    except (FileError, DomainError, OSError, ValueError):
        return None
    return total


def run_queued_batch(batch_id: int) -> ImportBatch | None:
    """The worker's side: run a queued batch that is still running (a re-run or a stale copy is skipped)."""
    batch = ImportBatch.objects.select_related("created_by").filter(pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.RUNNING or not batch.queued:
        return None
    from voronka.accounts.services import get_system_actor

    actor = batch.created_by or get_system_actor()
    try:
        require_importer(actor, batch.kind)
        path = upload_path(batch.upload)
        parsed = mapping_for(batch.kind, batch.mapping)
    except DomainError as exc:
        batch.status = BatchStatus.FAILED
        batch.errors = [{"row": None, "column": exc.field or "", "value": "", "message": exc.message}]
        batch.finished_at = timezone.now()
        batch.save()
        clear_progress(batch.pk)
        return batch
    total = count_rows(path, parsed)
    write_progress(batch.pk, 0, total)
    try:
        return _execute(batch, actor=actor, path=path, mapping=parsed,
                        progress=lambda done: write_progress(batch.pk, done, total))
    finally:
        clear_progress(batch.pk)


@transaction.atomic
def rerun_batch(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """Re-run a queued batch the worker left running (it stopped: no progress for ``stale_seconds``): the old
    batch is marked failed (its transaction died with the worker: nothing of it was written) and a new batch
    with the same file and mapping is queued."""
    require_importer(actor, batch.kind)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if not is_stale(batch):
        raise DomainError(_("Only an import the worker stopped running can be run again."), field="batch")
    new = queue_import(actor=actor, kind=batch.kind, token=batch.upload, mapping=mapping_for(batch.kind, batch.mapping),
                       file_name=batch.file_name)
    batch.status = BatchStatus.FAILED
    batch.finished_at = timezone.now()
    batch.errors = [{"row": None, "column": "", "value": "",
                     "message": _("The worker stopped before the import finished; nothing was written. Run again "
                                  "as batch %(n)s.") % {"n": new.pk}}]
    batch.save(update_fields=["status", "finished_at", "errors"])
    clear_progress(batch.pk)
    return new


# Progress lives in a small file under the data directory (next to the uploaded file the worker reads), not
# in the database: the batch's own transaction holds SQLite's write lock until it ends, so a second
# connection could not write a progress row, and the default cache (locmem) is per process.

def _progress_file(batch_id: int) -> Path:
    return upload_dir() / f"progress-{int(batch_id)}.json"


def write_progress(batch_id: int, done: int, total: int | None) -> None:
    path = _progress_file(batch_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"done": done, "total": total, "at": time.time()}))
    os.replace(tmp, path)


def clear_progress(batch_id: int) -> None:
    _progress_file(batch_id).unlink(missing_ok=True)


def stale_seconds() -> int:
    from django.conf import settings

    return settings.VORONKA_IMPORT_STALE_SECONDS


def read_progress(batch: ImportBatch) -> dict[str, Any]:
    """Rows done and total (None: not counted yet), percent, seconds since the last sign of life, stale."""
    try:
        data = json.loads(_progress_file(batch.pk).read_text())
    except (OSError, ValueError):
        data = {}
    done = int(data.get("done") or 0)
    total = data.get("total")
    total = int(total) if isinstance(total, int) else None
    at = data.get("at")
    last = float(at) if isinstance(at, (int, float)) else batch.created_at.timestamp()
    quiet = max(0.0, time.time() - last)
    percent = min(100, int(done * 100 / total)) if total else 0
    return {"done": done, "total": total, "percent": percent, "quiet": int(quiet),
            "stale": batch.status == BatchStatus.RUNNING and batch.queued and quiet > stale_seconds()}


def is_stale(batch: ImportBatch) -> bool:
    return read_progress(batch)["stale"]


def errors_csv(batch: ImportBatch) -> str:
    """The batch's row-level errors as CSV (row, column, value, message)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ERROR_COLUMNS)
    for error in batch.errors or []:
        writer.writerow([error.get(c) if error.get(c) is not None else "" for c in ERROR_COLUMNS])
    return out.getvalue()


# --- undo --------------------------------------------------------------------------------------------------------

def _created_objects(batch: ImportBatch) -> dict[type[models.Model], list[models.Model]]:
    by_type: dict[int, list[int]] = {}
    for ct_id, object_id in batch.rows.values_list("content_type_id", "object_id").iterator():
        by_type.setdefault(ct_id, []).append(object_id)
    result: dict[type[models.Model], list[models.Model]] = {}
    for ct_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        objects: list[models.Model] = []
        for start in range(0, len(ids), 900):
            objects.extend(model._base_manager.filter(pk__in=ids[start:start + 900]))
        result[model] = objects
    return result


def _label(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name_plural)


# Dependants first: tasks and deals, then clients, then what they point at (dictionaries, stages, users, teams).
UNDO_ORDER = ("activities.Task", "deals.Deal", "plans.SalesPlan", "clients.Contact", "clients.Client", "catalog.CustomFieldDefinition",
              "pipelines.Stage", "pipelines.Pipeline", "accounts.User", "accounts.Team")


def _undo_order(model: type[models.Model]) -> int:
    label = model._meta.label
    return UNDO_ORDER.index(label) if label in UNDO_ORDER else UNDO_ORDER.index("catalog.CustomFieldDefinition")


def _delete_ours(model: type[models.Model], objs: list[models.Model], ours: set, deal_ids: set[int],
                 finished_at) -> dict[str, int]:
    """Delete ``objs``; refuse when the deletion would take or touch anything the batch did not create (the
    stage log of an imported, unchanged deal is the deal's own)."""
    collector = Collector(using="default", origin=model)
    try:
        collector.collect(objs)
    except (ProtectedError, RestrictedError) as exc:
        blocker = next(iter(exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects))
        raise DomainError(_("Later data depends on the imported records (e.g. %(type)s “%(obj)s”); the import "
                            "cannot be undone.") % {"type": blocker._meta.verbose_name, "obj": blocker},
                          field="batch", code="has_dependants") from exc

    def foreign(instance: models.Model) -> bool:
        concrete = instance._meta.concrete_model
        if concrete._meta.label in ("deals.StageTransition", "deals.DealStageStay"):
            return instance.deal_id not in deal_ids
        if concrete._meta.label == "activities.Task" and instance.deal_id in deal_ids:
            return finished_at is None or instance.created_at > finished_at  # a first task, or one added later
        return (concrete, instance.pk) not in ours

    others: list[models.Model] = []
    for instances in collector.data.values():
        others.extend(o for o in instances if foreign(o))
    for qs in collector.fast_deletes:
        if qs.model is not ImportedRow:
            others.extend(o for o in qs.iterator() if foreign(o))
    for updates in collector.field_updates.values():
        for item in updates:
            others.extend(o for o in (item.iterator() if isinstance(item, models.QuerySet) else [item])
                          if foreign(o))
    if others:
        sample = others[0]
        raise DomainError(_("Later data depends on the imported records (%(n)s, e.g. %(type)s “%(obj)s”); the "
                            "import cannot be undone.") % {"n": len(others), "type": sample._meta.verbose_name,
                                                           "obj": sample}, field="batch", code="has_dependants")
    try:
        _total, per_model = collector.delete()
    except (IntegrityError, DatabaseError) as exc:
        raise DomainError(_("The database refused to delete the imported records: %(e)s") % {"e": exc},
                          field="batch") from exc
    return per_model


@transaction.atomic
def undo_import(*, actor: User, batch: ImportBatch) -> dict[str, int]:
    """Delete every object the batch created; refuse (nothing deleted) when other data depends on them or an
    imported deal or client was changed since (its version moved)."""
    if batch is None:
        raise NotFound(_("Import batch not found."))
    require_importer(actor, batch.kind)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.APPLIED:
        raise DomainError(_("Only an applied import can be undone (this one is “%(s)s”).")
                          % {"s": batch.get_status_display()}, field="batch")
    created = _created_objects(batch)
    ours = {(m._meta.concrete_model, o.pk) for m, objs in created.items() for o in objs}
    deal_ids = {o.pk for m, objs in created.items() if m._meta.label == "deals.Deal" for o in objs}
    versions = (batch.report or {}).get("versions", {})

    def expected(obj: models.Model) -> int:
        return int(versions.get(obj._meta.label, {}).get(str(obj.pk), 1))

    changed = [o for objs in created.values() for o in objs if getattr(o, "version", 1) > expected(o)]
    if changed:
        raise DomainError(_("%(n)s imported records were changed after the import (e.g. %(obj)s); the import "
                            "cannot be undone.") % {"n": len(changed), "obj": changed[0]}, field="batch",
                          code="changed_since")
    per_model: dict[str, int] = {}
    for model in sorted(created, key=_undo_order):
        objs = created[model]
        if objs:
            for label, n in _delete_ours(model, objs, ours, deal_ids, batch.finished_at).items():
                per_model[label] = per_model.get(label, 0) + n
    batch.status = BatchStatus.UNDONE
    batch.undone_at = timezone.now()
    batch.save(update_fields=["status", "undone_at"])
    counts = {label: n for label, n in per_model.items() if n and not label.startswith("imports.")}
    record_event(actor=actor, verb="import.undone", target=batch, data={"batch": batch.pk, "deleted": counts})
    return counts




# --- uploads (the settings screen) ----------------------------------------------------------------------------

UPLOAD_MAX_BYTES = 200 * 1024 * 1024
_UPLOAD_NAME = re.compile(r"[0-9a-f]{32}\.(csv|txt|tsv|xlsx)")


def upload_dir() -> Path:
    from django.conf import settings

    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def save_upload(*, actor: User, name: str, chunks) -> str:
    """Store an uploaded file under the data directory; returns its token (a random file name)."""
    import secrets

    require_perm(actor, "configure")
    suffix = Path(name or "").suffix.lower().lstrip(".")
    if suffix not in ("csv", "txt", "tsv", "xlsx"):
        raise DomainError(_("Upload a CSV or XLSX file."), field="file")
    token = f"{secrets.token_hex(16)}.{suffix}"
    size = 0
    with open(upload_dir() / token, "wb") as handle:
        for chunk in chunks:
            size += len(chunk)
            if size > UPLOAD_MAX_BYTES:
                handle.close()
                (upload_dir() / token).unlink(missing_ok=True)
                raise DomainError(_("The file is larger than 200 MB."), field="file")
            handle.write(chunk)
    return token


def upload_path(token: str) -> Path:
    if not _UPLOAD_NAME.fullmatch(token or ""):
        raise DomainError(_("The uploaded file is gone; upload it again."), field="file")
    path = upload_dir() / token
    if not path.is_file():
        raise DomainError(_("The uploaded file is gone; upload it again."), field="file")
    return path


def preview(token: str, *, rows: int = 5) -> dict[str, Any]:
    """The header and the first rows of an uploaded file (with the detected encoding and delimiter)."""
    table = open_table(upload_path(token))
    first = []
    for _number, values in table.rows:
        first.append([str(v) for v in values[:len(table.header)]])
        if len(first) >= rows:
            break
    table.rows.close()
    return {"header": table.header, "rows": first, "encoding": table.encoding,
            "delimiter": {"\t": "tab", "": ""}.get(table.delimiter, table.delimiter)}


def mapping_skeleton(kind: str, header: list[str]) -> str:
    """A starting mapping: every column whose name is a field of ``kind`` mapped to it, the rest commented."""
    import yaml

    fields = set(IMPORTERS[kind].FIELDS) if kind in IMPORTERS else set()
    mapped = {c.strip().lower(): c for c in header if c.strip().lower() in fields}
    text = yaml.safe_dump({"kind": kind, "fields": mapped or {"name": header[0] if header else ""}},
                          allow_unicode=True, sort_keys=False)
    rest = [c for c in header if c and c not in mapped.values()]
    if rest:
        text += "# other columns: " + ", ".join(rest) + "\n"
    text += "# fields of " + kind + ": " + ", ".join(IMPORTERS[kind].FIELDS if kind in IMPORTERS else ()) + "\n"
    return text


def mapping_from_text(kind: str, text: str) -> Mapping:
    import yaml

    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as exc:
        raise MappingError(_("The mapping file is not valid YAML: %(e)s") % {"e": exc}, field="mapping") from exc
    return mapping_for(kind, data if isinstance(data, dict) else {})
