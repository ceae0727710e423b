"""Health endpoints for load balancers and orchestrators."""

from django.db import connection
from django.http import JsonResponse

from voronka.core.migrations_state import pending_migrations


def healthz(request):
    """The process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """The database answers and every migration is applied."""
    try:
        pending = pending_migrations()
    except Exception as exc:  # any database error means "not ready"
        return JsonResponse({"status": "unavailable", "error": exc.__class__.__name__}, status=503)
    if pending:
        return JsonResponse({"status": "migrations_pending", "pending": len(pending)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
