"""The worker's daily sweep: a thread beside the task worker that runs `run_sweep` when it is owed
(daily.py), looking once a minute. Two workers may both sweep on the same morning: the sweep is
idempotent, so the second finds nothing to write."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from careloop.accounts.models import Organization
from careloop.followup.daily import parse_time, sweep_owed
from careloop.followup.models import SweepState
from careloop.followup.sweep import run_sweep

logger = logging.getLogger("careloop.followup")


def owed_now() -> bool:
    marks = dict(SweepState.objects.values_list("organization_id", "planned_through"))
    organizations = Organization.objects.values_list("pk", flat=True)
    return sweep_owed(
        timezone.localtime(),
        parse_time(settings.FOLLOWUP_SWEEP_AT),
        [marks.get(pk) for pk in organizations],
        settings.FOLLOWUP_HORIZON_DAYS,
    )


def sweep_daily(stop: threading.Event, every: float = 60) -> None:
    """Until `stop` is set: sweep whenever owed. A failed sweep is logged and tried again next look."""
    try:
        while not stop.is_set():
            try:
                if owed_now():
                    result = run_sweep()
                    logger.info(
                        "daily sweep: %s tasks made, %s missed, %s plans ended, %s enrolled, %s escalated",
                        result.created, result.missed, result.ended, result.enrolled, result.escalated,
                    )  # fmt: skip
            except Exception:
                logger.exception("daily sweep failed; trying again in %s s", every)
            close_old_connections()
            stop.wait(every)
    finally:
        connection.close()
