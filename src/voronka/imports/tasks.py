"""Background jobs of the imports app: a queued batch run by the worker (``voronka worker``)."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def run_import_batch(batch_id: int) -> str:
    """Run one queued import batch (all or nothing); returns its final status."""
    from voronka.imports.models import BatchStatus, ImportBatch
    from voronka.imports.services import clear_progress, run_queued_batch

    try:
        batch = run_queued_batch(batch_id)
    except Exception:  # a bug, not a row error: the batch must not stay "running" forever
        logger.exception("import batch crashed", extra={"batch_id": batch_id})
        ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING).update(
            status=BatchStatus.FAILED,
            errors=[{"row": None, "column": "", "value": "", "message": _("The import stopped on an internal error; "
                                                                   "nothing was written.")}])
        clear_progress(batch_id)
        raise
    return batch.status if batch is not None else "skipped"
