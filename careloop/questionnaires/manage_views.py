"""The administrator's questionnaire pages: the list, creating, retiring, importing and exporting.

Every page requires QUESTIONNAIRE_MANAGE; another organization's questionnaire is 404. Exporting answers
also requires RECORD_VIEW: the file carries what patients answered, so only a role that may read the
clinical record and manages questionnaires may take it out of the system (the administrator).
"""

import json
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.questionnaires import managing
from careloop.questionnaires.answer_export import (
    AnswerRow,
    columns_of,
    csv_pieces,
    csv_row,
    ndjson_pieces,
)
from careloop.questionnaires.builder_forms import CreateForm, ImportForm, import_limit
from careloop.questionnaires.definition import DefinitionError
from careloop.questionnaires.drafting import canonical
from careloop.questionnaires.models import Questionnaire, QuestionnaireAnswer, QuestionnaireVersion
from careloop.requestsize import accepts_upload, upload_cut_short


def organization_of(request: StaffRequest, *permissions: Perm) -> int:
    for permission in (Perm.QUESTIONNAIRE_MANAGE, *permissions):
        require(request.user, permission)
    assert request.user.organization_id is not None  # require() lets in only staff of an organization
    return request.user.organization_id


def managed(request: StaffRequest, questionnaire_id: int, *permissions: Perm) -> Questionnaire:
    """The organization's questionnaire (404 for another organization's), after the permission checks."""
    org_id = organization_of(request, *permissions)
    return get_object_or_404(Questionnaire, pk=questionnaire_id, organization_id=org_id)


@login_required
def questionnaire_list(request: StaffRequest) -> HttpResponse:
    org_id = organization_of(request)
    form = CreateForm(organization_id=org_id)
    if request.method == "POST":
        form = CreateForm(request.POST, organization_id=org_id)
        if form.is_valid():
            data = form.cleaned_data
            questionnaire = managing.do_create_questionnaire(
                request.user, data["key"], data["language"], data["title"]
            )
            return redirect("questionnaires:builder", questionnaire.pk)
    questionnaires = (
        Questionnaire.objects.filter(organization_id=org_id)
        .annotate(current=Max("versions__number"), answer_count=Count("versions__answers"))
        .order_by("status", "key", "language")
    )
    context = {"questionnaires": questionnaires, "form": form}
    return render(request, "questionnaires/manage/list.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def set_status(request: StaffRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = managed(request, questionnaire_id)
    status = request.POST.get("status", "")
    if managing.do_set_status(request.user, questionnaire, status):
        if status == "retired":
            messages.success(
                request,
                _("%(title)s is retired: staff are no longer offered it.") % {"title": questionnaire.title},
            )
        else:
            messages.success(request, _("%(title)s is in use again.") % {"title": questionnaire.title})
    elif status == "active" and not questionnaire.versions.exists():
        messages.error(
            request, _("Publish %(title)s before putting it in use.") % {"title": questionnaire.title}
        )
    return redirect("questionnaires:manage")


@accepts_upload(import_limit)
@login_required
def import_json(request: StaffRequest) -> HttpResponse:
    org_id = organization_of(request)
    posted = request.method == "POST"
    form = ImportForm(
        request.POST if posted else None,
        request.FILES or None,
        organization_id=org_id,
        cut_short=upload_cut_short(request) is not None,
    )
    problems: list[dict[str, str]] = []
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("questionnaire") is None:
                version, _outcome = managing.do_import_new(
                    request.user, data["definition"], data["key"], data["language"]
                )
            else:
                version, _outcome = managing.do_import_version(
                    request.user, data["questionnaire"], data["definition"]
                )
        except DefinitionError as error:
            problems = [{"where": p.where, "message": p.message} for p in error.problems]
        except RecursionError:
            problems = [{"where": "Questionnaire", "message": _("the items are nested too deeply")}]
        else:
            messages.success(
                request,
                _("Imported %(title)s as version %(number)s.")
                % {"title": version.questionnaire.title, "number": version.number},
            )
            return redirect("questionnaires:builder", version.questionnaire_id)
    status = 400 if posted and (form.errors or problems) else 200
    context = {"form": form, "problems": problems, "limit_kb": import_limit() // 1024}
    return render(request, "questionnaires/manage/import.html", context, status=status)


@login_required
def export_version(request: StaffRequest, questionnaire_id: int, version_id: int) -> HttpResponse:
    """A version as FHIR R4 JSON, as `to_fhir` writes it: importing the file gives the same JSON back."""
    questionnaire = managed(request, questionnaire_id)
    version = get_object_or_404(QuestionnaireVersion, pk=version_id, questionnaire=questionnaire)
    body = json.dumps(canonical(version.definition), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    name = f"{questionnaire.key}.{questionnaire.language}.v{version.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _answer_rows(questionnaire: Questionnaire, last_id: int) -> Iterator[AnswerRow]:
    """The answers up to `last_id`, oldest first, a few hundred rows per query (constant memory).

    `values()` joins the patient with LEFT OUTER JOIN once the patient may be empty (anonymous surveys)."""
    rows = (
        QuestionnaireAnswer.objects.filter(
            organization_id=questionnaire.organization_id,
            version__questionnaire=questionnaire,
            pk__lte=last_id,
        )
        .order_by("pk")
        .values_list(
            "pk",
            "answered_at",
            "version__number",
            "patient_id",
            "patient__name",
            "channel",
            "response",
            "scores",
        )
    )
    zone = timezone.get_current_timezone()
    for pk, at, number, patient_id, name, channel, response, scores in rows.iterator(chunk_size=500):
        yield AnswerRow(pk, at.astimezone(zone), number, patient_id, name, channel, response, scores or {})


@login_required
def export_answers(request: StaffRequest, questionnaire_id: int, fmt: str) -> HttpResponseBase:
    questionnaire = managed(request, questionnaire_id, Perm.RECORD_VIEW)
    if fmt not in ("csv", "ndjson"):
        return HttpResponse(status=404)
    answers = QuestionnaireAnswer.objects.filter(
        organization_id=questionnaire.organization_id, version__questionnaire=questionnaire
    )
    summary = answers.aggregate(count=Count("pk"), last=Max("pk"))
    last_id = summary["last"] or 0
    managing.record_export(request.user, questionnaire, fmt, summary["count"], last_id)
    name = f"{questionnaire.key}.{questionnaire.language}.answers.{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "ndjson":
        response = StreamingHttpResponse(
            ndjson_pieces(_answer_rows(questionnaire, last_id)), content_type="application/fhir+ndjson"
        )
    else:
        definitions = questionnaire.versions.order_by("-number").values_list("definition", flat=True)
        columns = columns_of(list(definitions))
        header = columns.header(
            [_("answer"), _("answered at"), _("version"), _("patient id"), _("patient name"), _("channel")],
            _("total"),
            _("band"),
            _("flags"),
        )
        rows = (csv_row(row, columns) for row in _answer_rows(questionnaire, last_id))
        response = StreamingHttpResponse(csv_pieces(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def versions_of(questionnaire: Questionnaire) -> list[QuestionnaireVersion]:
    return list(questionnaire.versions.annotate(answer_count=Count("answers")).order_by("-number"))
