"""Settings › Import: upload, preview with a starting mapping, dry run or run, the batch report, errors as CSV,
undo (thin views over imports.services; administrators only, checked in web.settings_urls)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import DomainError
from voronka.imports.models import ImportKind
from voronka.imports.selectors import get_batch, recent_batches
from voronka.imports.services import (
    errors_csv,
    mapping_from_text,
    mapping_skeleton,
    preview,
    queue_import,
    read_progress,
    rerun_batch,
    run_import,
    save_upload,
    undo_import,
    upload_path,
)


def _context(**extra):
    return {"nav": "settings", "section": "import", "kinds": ImportKind.choices, "batches": recent_batches(20),
            **extra}


@require_http_methods(["GET", "POST"])
def import_index(request):
    """GET: the upload form and the recent batches. POST with a file: preview; POST with a token: run."""
    if request.method == "GET":
        return render(request, "imports/import_index.html", _context())
    kind = request.POST.get("kind", "")
    if kind not in ImportKind.values:
        return render(request, "imports/import_index.html", _context(error=_("Choose what to import.")), status=400)
    upload = request.FILES.get("file")
    sample = None
    try:
        if upload is not None:
            token = save_upload(actor=request.user, name=upload.name, chunks=upload.chunks())
            sample = preview(token)
            return render(request, "imports/import_index.html", _context(
                kind=kind, token=token, file_name=upload.name, sample=sample,
                mapping=mapping_skeleton(kind, sample["header"])))
        token = request.POST.get("token", "")
        sample = preview(token)
        mapping_text = request.POST.get("mapping", "")
        parsed = mapping_from_text(kind, mapping_text)
        if request.POST.get("action") == "run":  # the worker runs it; the batch page shows its progress
            batch = queue_import(actor=request.user, kind=kind, token=token, mapping=parsed,
                                 file_name=request.POST.get("file_name", ""))
            return redirect(reverse("settings:import_batch", args=[batch.pk]))
        batch = run_import(actor=request.user, kind=kind, path=upload_path(token), mapping=parsed, dry_run=True)
    except DomainError as exc:
        return render(request, "imports/import_index.html", _context(
            kind=kind, token=request.POST.get("token", ""), file_name=request.POST.get("file_name", ""),
            mapping=request.POST.get("mapping", ""), error=exc.message,
            sample=sample), status=400)
    return render(request, "imports/import_index.html", _context(
        kind=kind, token=token, file_name=request.POST.get("file_name", ""), sample=sample,
        mapping=mapping_text, batch=batch))


def _batch(pk: int):
    batch = get_batch(pk)
    if batch is None:
        raise Http404(_("Import batch not found."))
    return batch


@require_GET
def batch_detail(request, pk: int):
    batch = _batch(pk)
    return render(request, "imports/batch.html", _context(batch=batch, progress=read_progress(batch)))


@require_GET
def batch_progress(request, pk: int):
    """The batch body polled by the batch page (htmx, every second while running): the progress bar, then the
    report once the batch is done."""
    batch = _batch(pk)
    return render(request, "imports/_batch_body.html", {"batch": batch, "progress": read_progress(batch)})


@require_POST
def batch_rerun(request, pk: int):
    batch = _batch(pk)
    try:
        new = rerun_batch(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("settings:import_batch", args=[batch.pk]))
    messages.success(request, _("Batch %(old)s is run again as batch %(n)s.") % {"old": batch.pk, "n": new.pk})
    return redirect(reverse("settings:import_batch", args=[new.pk]))


@require_GET
def batch_errors(request, pk: int):
    batch = _batch(pk)
    response = HttpResponse(errors_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return response


@require_POST
def batch_undo(request, pk: int):
    batch = _batch(pk)
    try:
        counts = undo_import(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Batch %(n)s undone: %(total)s records deleted.")
                         % {"n": batch.pk, "total": sum(counts.values())})
    return redirect(reverse("settings:import_batch", args=[batch.pk]))
