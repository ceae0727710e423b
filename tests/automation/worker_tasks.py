"""Tasks for the real-worker tests (importable by a ``voronka worker`` subprocess with the project root on
its path)."""

from __future__ import annotations

import os
import time

from django_tasks import task


@task()
def slow_once(flag: str, name: str) -> str:
    """The first run sleeps (long enough to be killed in); every run records ``name`` once, idempotently."""
    from voronka.catalog.models import Region

    if not os.path.exists(flag):
        with open(flag, "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(60)
    Region.objects.get_or_create(name=name)
    return name


@task()
def fails(n: int) -> int:
    raise ValueError(f"job {n} fails")


@task()
def returns_a_set(n: int):
    return {n}  # not JSON: the job fails instead of the worker
