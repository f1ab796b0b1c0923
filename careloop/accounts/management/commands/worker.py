"""`careloop worker`: the background task worker (django-tasks-db's db_worker) and, beside it, the sealer.

The task worker runs in the main thread, where it handles SIGTERM/SIGINT: it finishes the task in hand and
returns. The sealer runs in a thread of its own, a pass every few seconds, and is stopped and joined when the
task worker returns, so a pass is never cut off in the middle of its transaction.
"""

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection

from careloop.accounts.auditseal import Sealer

logger = logging.getLogger("careloop.audit")


def seal_until(stop: threading.Event, sealer: Sealer, every: float) -> None:
    """Pass after pass until `stop` is set, then a last pass that checkpoints what it sealed. A failed pass
    (the database restarting, say) is logged and the next one tries again: the entries wait, unsealed."""
    try:
        while True:
            stopping = stop.is_set()
            try:
                sealer.run_once(checkpoint_now=stopping)
            except Exception:
                logger.exception("audit sealing pass failed; trying again in %s s", every)
            close_old_connections()
            if stopping:
                return
            stop.wait(every)
    finally:
        connection.close()


class Command(BaseCommand):
    help = (
        "Run background tasks and the audit sealer until SIGTERM or Ctrl-C. Takes db_worker's main options; "
        "with --batch, runs the queued tasks and one sealing pass, then exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue-name", default="default", help="Queues to run, comma-separated ('*': all)."
        )
        parser.add_argument("--interval", type=float, default=1, help="Seconds between looks for a task (1).")
        parser.add_argument("--batch", action="store_true", help="Run what is queued, seal once, then exit.")
        parser.add_argument("--max-tasks", type=int, help="Exit after this many tasks.")
        parser.add_argument("--worker-id", help="A name for this worker in the task table.")
        parser.add_argument(
            "--no-startup-delay", action="store_true", help="Start looking for tasks at once."
        )
        parser.add_argument(
            "--no-reload", action="store_true", help="Accepted for db_worker's callers: never reloads."
        )
        parser.add_argument(
            "--seal-every",
            type=float,
            default=settings.AUDIT_SEAL_SECONDS,
            help="Seconds between sealing passes (CARELOOP_AUDIT_SEAL_SECONDS, 5).",
        )
        parser.add_argument(
            "--no-seal", action="store_true", help="Run tasks only (when another worker already seals)."
        )
        parser.add_argument(
            "--no-sweep",
            action="store_true",
            help="Do not run the daily follow-up sweep (CARELOOP_FOLLOWUP_SWEEP_AT, 02:00) in this worker.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_args = [
            "--queue-name",
            options["queue_name"],
            "--interval",
            str(options["interval"]),
            "--no-reload",
        ]
        for flag in ("batch", "no_startup_delay"):
            if options[flag]:
                worker_args.append("--" + flag.replace("_", "-"))
        for name in ("max_tasks", "worker_id"):
            if options[name] is not None:
                worker_args += ["--" + name.replace("_", "-"), str(options[name])]
        sealer = None
        if not options["no_seal"]:
            try:
                sealer = Sealer()
            except ImproperlyConfigured as error:
                raise CommandError(f"{error} (or start the worker with --no-seal)") from None
        if options["batch"] or sealer is None:
            call_command("db_worker", *worker_args, stdout=self.stdout, stderr=self.stderr)
            if sealer is not None:
                result = sealer.run_once(force_checkpoint=True)
                self.stdout.write(f"sealed {result.sealed} audit entries")
            return
        stop = threading.Event()
        sealing = threading.Thread(
            target=seal_until, args=(stop, sealer, options["seal_every"]), name="audit-sealer"
        )
        sealing.start()
        threads = [sealing]
        if not options["no_sweep"]:
            from careloop.followup.scheduler import sweep_daily

            sweeping = threading.Thread(target=sweep_daily, args=(stop,), name="followup-sweep")
            sweeping.start()
            threads.append(sweeping)
        try:
            call_command("db_worker", *worker_args, stdout=self.stdout, stderr=self.stderr)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
