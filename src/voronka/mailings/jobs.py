"""Mailings' scheduled job (``automation.scheduler``): due sequence steps, email retries, renewal and upsell."""

from __future__ import annotations

import datetime as dt

from voronka.automation.scheduler import job


@job("mailings", every_minutes=1)
def mailing_jobs(*, now: dt.datetime) -> dict[str, int]:
    from voronka.mailings.services import run_jobs

    return {f"mailings, {name}": count for name, count in run_jobs(now=now).items()}
