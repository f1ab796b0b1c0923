"""careloop import FILE — results from a FHIR, HL7 v2, CSV or Excel file, with a progress bar."""

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from careloop.accounts.audit import AuditContext, reset_context, set_context
from careloop.accounts.models import Organization
from careloop.observations.actions import do_import
from careloop.observations.importing import problemkinds
from careloop.observations.importing.inputs import FileInput
from careloop.observations.models import ImportBatch
from careloop.observations.sources import formats


class Command(BaseCommand):
    help = (
        "Import exam and lab results (FHIR NDJSON/Bundle, HL7 v2, CSV, Excel). "
        "Re-importing the same file adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--organization", required=True, help="code of the organization the results belong to"
        )
        parser.add_argument("--mode", choices=["keep_good", "all_or_nothing"], default="keep_good")
        parser.add_argument(
            "--source-system",
            default="",
            help="the sending system's name (default: the file's own, else one name for all files)",
        )
        parser.add_argument(
            "--map", action="append", default=[], metavar="FIELD=HEADER", help="CSV/Excel column mapping"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file") % {"path": path})
        if not path.name.lower().endswith(formats.SUPPORTED_SUFFIXES):
            raise CommandError(
                _("%(name)s: not a supported file type (%(types)s)")
                % {"name": path.name, "types": ", ".join(formats.SUPPORTED_SUFFIXES)}
            )
        organization = Organization.objects.filter(code=options["organization"]).first()
        if organization is None:
            raise CommandError(_("no organization with code %(code)r") % {"code": options["organization"]})
        try:
            mapping = formats.parse_mapping(options["map"])
        except ValueError as error:
            wrong = options["map"][error.args[0] - 1]
            raise CommandError(_("--map %(wrong)r: write FIELD=HEADER") % {"wrong": wrong}) from None
        source = FileInput(path.read_bytes(), path.name, "command", options["source_system"], mapping)
        # The wrapped stream itself: OutputWrapper.write would end each redraw with a newline.
        stream = cast(TextIO, self.stderr._out)  # the stubs type OutputWrapper attributes as methods
        # No bar at all without progress: even a disabled one starts tqdm's monitor thread and lock.
        bar = None if options["no_progress"] else tqdm(total=None, unit=" items", file=stream)
        seen = 0

        def progress(current: ImportBatch) -> None:
            nonlocal seen
            assert bar is not None
            bar.update(current.received - seen)
            seen = current.received

        token = set_context(AuditContext(actor_label="command:import"))
        try:
            outcome = do_import(
                None, organization, source, options["mode"], progress=progress if bar else None
            )
            if bar is not None:
                bar.close()
        finally:
            reset_context(token)
        batch, problems = outcome.batch, outcome.problems
        summary = _(
            "%(status)s: %(received)s read, %(created)s new, %(updated)s corrected, %(unchanged)s already "
            "there, %(refused)s refused, %(unmatched)s waiting for a patient."
        )
        self.stdout.write(summary % {"status": batch.get_status_display(), **batch.counts()})
        for problem in problems[:20]:
            self.stdout.write(f"  {problemkinds.problem_text(problem)}")
        if batch.refused > 20:  # `problems` holds only the stored ones (settings.IMPORT_LIMITS)
            more = _("... and %(count)s more (see the import page for the full report)")
            self.stdout.write("  " + more % {"count": batch.refused - min(20, len(problems))})
        if batch.status == "refused":
            raise CommandError(_("nothing was imported (all or nothing, and some items were refused)"))
