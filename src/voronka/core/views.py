"""Health endpoints for load balancers and orchestrators."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from voronka.core.migrations_state import pending_migrations


def healthz(request):
    """The process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """The database answers, every migration is applied and (when tasks go to the database queue) a worker
    is alive: its heartbeat is fresh (``automation.selectors.worker_health``)."""
    try:
        pending = pending_migrations()
    except Exception as exc:  # any database error means "not ready"
        return JsonResponse({"status": "unavailable", "error": exc.__class__.__name__}, status=503)
    if pending:
        return JsonResponse({"status": "migrations_pending", "pending": len(pending)}, status=503)
    if settings.VORONKA_WORKER_REQUIRED:
        from voronka.automation.selectors import worker_health

        health = worker_health()
        if not health["ok"]:
            return JsonResponse({"status": "worker_down", "reason": health["reason"],
                                 "last_seen": health["last_seen"]}, status=503)
        return JsonResponse({"status": "ok", "database": connection.vendor, "workers": health["workers"]})
    return JsonResponse({"status": "ok", "database": connection.vendor})
