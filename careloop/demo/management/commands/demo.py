"""`careloop demo`: a working installation on this machine in one command.

Migrates the database; on an empty one makes the demo clinic (`careloop.demo.clinic`) with one login per
role and a few thousand synthetic patients; then runs the background worker and the web server until Ctrl-C
or SIGTERM.
"""

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from careloop.accounts.models import Organization
from careloop.demo.clinic import (
    DEMO_CODE,
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_STAFF,
    import_demo_lab_message,
    import_demo_results,
    make_demo_organization,
    register_demo_twice,
)
from careloop.demo.contacts import record_demo_contacts
from careloop.demo.feeds import import_demo_admissions
from careloop.demo.followup import enrol_demo_patients
from careloop.demo.intake import record_demo_intake
from careloop.demo.questionnaires import record_demo_answers, send_demo_links

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Set up a demo: migrate, make a demo clinic with logins and synthetic patients if the database has "
        "no organization, then run the background worker and the web server until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=8000, help="Port of the web server on 127.0.0.1 (8000)."
        )
        parser.add_argument("--patients", type=int, default=2000, help="Synthetic patients to make (2000).")
        parser.add_argument("--no-serve", action="store_true", help="Set up the data only; start nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        if Organization.objects.exists():
            self.stdout.write("The database already has data; it is left as it is.")
        else:
            with transaction.atomic():
                make_demo_organization()
            self.stdout.write(f"Made the demo clinic {DEMO_NAME}; adding {options['patients']} patients...")
            call_command(
                "seed",
                patients=options["patients"],
                years=5,
                organization=DEMO_CODE,
                verbosity=options["verbosity"],
            )
            clinic = Organization.objects.get(code=DEMO_CODE)
            batch = import_demo_results(clinic)
            self.stdout.write(f"Imported {batch.created} health-check results through the import pipeline.")
            lab = import_demo_lab_message(clinic)
            self.stdout.write(f"Imported a laboratory message: {lab.unmatched} results wait for a patient.")
            register_demo_twice(clinic)
            import_demo_admissions(clinic)
            self.stdout.write(
                "Received the hospital's admissions: a patient registered, two left for review."
            )
            answers = record_demo_answers(clinic) + record_demo_intake(clinic)
            self.stdout.write(
                f"Installed the standard questionnaires; the nurse recorded {len(answers)} answers."
            )
            enrolled, due, overdue = enrol_demo_patients(clinic)
            self.stdout.write(
                f"Installed the follow-up protocols and enrolled {enrolled} patients: "
                f"{due} tasks due today, {overdue} overdue."
            )
            contacts, lost = record_demo_contacts(clinic)
            self.stdout.write(
                f"The nurse recorded {contacts} follow-up calls, one with its recording; "
                f"{lost} patient is lost to follow-up."
            )
            path = send_demo_links(clinic)
            self.stdout.write(
                "Sent questionnaire links; open one as a patient would, on a phone: "
                f"http://127.0.0.1:{options['port']}{path}"
            )
        if options["no_serve"]:
            self.print_logins(None)
            return
        self.serve(options["port"])

    def print_logins(self, url: str | None) -> None:
        lines = [f"CareLoop demo is running at {url}"] if url else ["CareLoop demo data is ready."]
        lines.append(f"Log in as one of these users (password {DEMO_PASSWORD}):")
        for username, (role, display_name, _) in DEMO_STAFF.items():
            lines.append(f"  {username:<10} {role.value:<13} {display_name}")
        if url:
            lines.append("admin manages the staff under Organization; auditor reads the Audit trail.")
            lines.append("Press Ctrl-C to stop.")
        self.stdout.write("\n".join(lines))

    def serve(self, port: int) -> None:
        if not settings.DEBUG:
            self.stderr.write("Note: CARELOOP_DEBUG is off; the demo server expects CARELOOP_DEBUG=true.")
        django = [sys.executable, "-m", "django"]
        # Own sessions: a Ctrl-C reaches only this process, which then stops both children in order.
        # The commands are fixed; only the port (an int) comes from the options.
        children = {
            "worker": subprocess.Popen([*django, "worker", "--no-reload"], start_new_session=True),  # noqa: S603
            "web server": subprocess.Popen(  # noqa: S603
                [*django, "runserver", f"127.0.0.1:{port}", "--noreload"], start_new_session=True
            ),
        }
        stopping: list[int] = []
        previous = {s: signal.signal(s, lambda signum, frame: stopping.append(signum)) for s in STOP_SIGNALS}
        self.print_logins(f"http://127.0.0.1:{port}/")
        try:
            while not stopping:
                exited = [name for name, child in children.items() if child.poll() is not None]
                if exited:
                    raise CommandError(f"The {exited[0]} stopped unexpectedly; stopping the demo.")
                time.sleep(0.3)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.stop(children)
        self.stdout.write("Stopped the web server and the worker.")

    def stop(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for name, child in children.items():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {name} did not stop within 15 s; killing it.")
                child.kill()
                child.wait()
