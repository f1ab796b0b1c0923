"""The results import pages: upload and the list of imports, one import's progress and problems, its
error report, the downloadable template."""

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from careloop.accounts import audit
from careloop.accounts.authorization import require
from careloop.accounts.models import User
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.observations import actions
from careloop.observations.forms import UploadForm
from careloop.observations.importing import problemkinds
from careloop.observations.importing.limits import MB
from careloop.observations.importing.parsed import Problem
from careloop.observations.models import FeedReview, ImportBatch, UnmatchedResult
from careloop.observations.sources import tabular
from careloop.observations.views.organization import user_organization_id
from careloop.redaction import redact
from careloop.requestsize import accepts_upload, upload_cut_short


def _batches(user: User) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(organization_id=user_organization_id(user))


@accepts_upload(lambda: settings.IMPORT_MAX_UPLOAD_MB * MB)
@login_required
def import_list(request: StaffRequest) -> HttpResponseBase:
    require(request.user, Perm.RESULTS_IMPORT)
    posted = request.method == "POST"
    form = UploadForm(
        request.POST if posted else None,
        request.FILES or None,
        cut_short=upload_cut_short(request) is not None,
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        batch = actions.do_start_import(
            request.user, data["file"], data["mode"], data["source_system"], data["mapping"]
        )
        return redirect("observations:import_detail", batch.pk)
    page = Paginator(_batches(request.user).select_related("started_by"), 20).get_page(
        request.GET.get("page")
    )
    organization_id = user_organization_id(request.user)
    context = {
        "form": form,
        "page": page,
        "open_unmatched": UnmatchedResult.waiting(organization_id).count(),
        "open_reviews": FeedReview.objects.filter(
            organization_id=organization_id, resolved_at__isnull=True
        ).count(),
    }
    return render(request, "observations/imports.html", context)


@login_required
def import_detail(request: StaffRequest, batch_id: int) -> HttpResponse:
    require(request.user, Perm.RESULTS_IMPORT)
    batch = get_object_or_404(_batches(request.user), pk=batch_id)
    problems = problemkinds.first_in_row_order(batch.problems.all(), 200)
    context = {
        "batch": batch,
        "problems": problems,
        "problem_count": batch.problems.count(),
        "not_stored": not_stored_text(batch),
    }
    # Refused values quote what the file said about people: reading them is audited, once per view (the
    # page polls while the import runs; its last poll is the one that shows the problems).
    if not request.htmx or batch.status != "running":
        audit.record(
            "import.view",
            organization_id=batch.organization_id,
            obj=batch,
            detail={"problems_shown": len(problems), "refused": batch.refused},
        )
    if request.htmx:
        return render(request, "observations/_batch_status.html", context)
    return render(request, "observations/import_detail.html", context)


def not_stored_text(batch: ImportBatch) -> str:
    """How many refusals were counted but not stored, by kind, in the active language ("" for none)."""
    if not batch.problems_not_stored:
        return ""
    # Translators: what separates the kinds in a list such as "not a number 2,000; duplicate 7".
    separator = pgettext("list separator", "; ")
    kinds = separator.join(f"{label} {number:,}" for label, number in batch.not_stored_by_kind)
    return _(
        "%(count)s more refused items were not stored (an import stores the first %(cap)s): %(kinds)s."
    ) % {
        "count": f"{batch.not_stored_count:,}",
        "cap": f"{settings.IMPORT_LIMITS.stored_problems:,}",
        "kinds": kinds,
    }


def _report_rows(batch: ImportBatch, language: str) -> Iterator[Problem]:
    """The stored problems in the report's shape, in row order, read a thousand at a time, in `language`
    (the response is written after the view has returned)."""
    columns = ("location", "field", "value", "reason", "reason_template", "reason_params", "code")
    rows = problemkinds.values_in_row_order(batch.problems.all(), columns)
    with translation.override(language):
        for location, field, value, reason, template, params, code in rows:
            where, column = problemkinds.report_place(location, field)
            text = problemkinds.reason_text(reason, template, params)
            yield Problem(where, column, redact(value), redact(text), code)


@login_required
def import_problems_csv(request: StaffRequest, batch_id: int) -> StreamingHttpResponse:
    require(request.user, Perm.RESULTS_IMPORT)
    batch = get_object_or_404(_batches(request.user), pk=batch_id)
    audit.record(
        "import.errors_downloaded",
        organization_id=batch.organization_id,
        obj=batch,
        detail={"refused": batch.refused, "not_stored": batch.not_stored_count},
    )
    headers = [str(header) for header in (_("row"), _("column"), _("value"), _("reason"))]
    language = translation.get_language()
    lines = tabular.error_report_lines(_report_rows(batch, language), headers, not_stored_text(batch))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return response


@login_required
def import_template(request: StaffRequest, fmt: str) -> HttpResponse:
    require(request.user, Perm.RESULTS_IMPORT)
    if fmt == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(tabular.template_xlsx(), content_type=content_type)
    else:
        response = HttpResponse(tabular.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="careloop-results-template.{"xlsx" if fmt == "xlsx" else "csv"}"'
    )
    return response
