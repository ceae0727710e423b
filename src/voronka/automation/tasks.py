"""Background jobs of the automation app: a scheduled job's run, enqueued by the scheduler."""

from __future__ import annotations

from django_tasks import task

from voronka.automation.scheduler import execute


@task()
def run_scheduled_job(run_id: int) -> dict[str, int] | None:
    """Run one ``JobRun`` (recorded by the scheduler pass that won its slot)."""
    return execute(run_id)


@task()
def noop(value: int = 0) -> int:
    """The smallest job there is: the worker benchmark (``python -m bench.worker``) measures with it."""
    return value
