"""Health endpoints for load balancers and orchestrators."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse


def healthz(request):
    """The process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """The database answers and every migration is applied."""
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any database error means "not ready"
        return JsonResponse({"status": "unavailable", "error": exc.__class__.__name__}, status=503)
    if pending:
        return JsonResponse({"status": "migrations_pending", "pending": len(pending)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
