"""Fill in a questionnaire for a patient (staff, during a call) and read one stored answer."""

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients.actions import record_view
from careloop.patients.scoping import patient_for_user
from careloop.questionnaires.actions import current_version, do_record_answer
from careloop.questionnaires.forms import FilledForm, form_rows, read_answers
from careloop.questionnaires.models import Questionnaire, QuestionnaireAnswer, QuestionnaireVersion
from careloop.questionnaires.scoring import InvalidAnswers
from careloop.questionnaires.tab import answer_summary, reader_language


@login_required
def fill(request: StaffRequest, patient_id: int, questionnaire_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    questionnaire = get_object_or_404(
        Questionnaire, pk=questionnaire_id, organization_id=patient.organization_id, status="active"
    )
    require(request.user, Perm.RECORD_EDIT_NURSING)
    version = current_version(questionnaire)
    if request.method == "POST":
        # The version the form showed, even if a newer one was installed meanwhile.
        posted = request.POST.get("version", "")
        version = get_object_or_404(
            QuestionnaireVersion, pk=int(posted) if posted.isdigit() else 0, questionnaire=questionnaire
        )
    if version is None:
        raise Http404("The questionnaire has no version")
    definition = version.parsed
    form = FilledForm()
    if request.method == "POST":
        form = read_answers(definition, request.POST)
        if not form.errors:
            try:
                answer = do_record_answer(request.user, patient, version, form.answers)
            except InvalidAnswers as refused:
                form.add_errors(refused.errors)
            else:
                _report(request, answer)
                task = request.GET.get("task", "")
                if (
                    task.isdigit()
                ):  # filled during a follow-up call: back to the call (its page checks access)
                    return redirect("followup:task", int(task))
                return redirect("patients:tab", patient.pk, "questionnaires")
    record_view(request.user, patient, "questionnaires.fill")
    context = {
        "patient": patient,
        "questionnaire": questionnaire,
        "version": version,
        "definition": definition,
        "rows": form_rows(definition, form),
        "has_errors": bool(form.errors),
    }
    return render(request, "questionnaires/fill.html", context, status=400 if form.errors else 200)


def _report(request: StaffRequest, answer: QuestionnaireAnswer) -> None:
    summary = answer_summary(answer, reader_language())
    totals = "; ".join(
        _("total %(total)s, %(band)s") % {"total": s["total"], "band": s["band"]}
        if s["band"]
        else _("total %(total)s") % {"total": s["total"]}
        for s in summary["scores"]
        if s["total"] is not None
    )
    notice = _("Saved %(title)s.") % {"title": summary["title"]}
    messages.success(request, f"{notice} {totals}" if totals else notice)
    for flag in summary["flags"]:
        messages.warning(request, flag)


@login_required
def answer_detail(request: StaffRequest, patient_id: int, answer_id: int) -> HttpResponse:
    """A stored answer in the wording of the version it answered."""
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    answer = get_object_or_404(
        QuestionnaireAnswer.objects.select_related("version__questionnaire", "answered_by"),
        pk=answer_id,
        patient=patient,
        organization_id=patient.organization_id,
    )
    record_view(request.user, patient, "questionnaires.answer")
    context = {
        "patient": patient,
        "summary": answer_summary(answer, reader_language()),
        "answer": answer,
        "lines": list(_lines(answer.response.get("item", []), 0)),
    }
    return render(request, "questionnaires/answer.html", context)


def _lines(items: list[dict[str, Any]], depth: int) -> Iterator[dict[str, Any]]:
    for item in items:
        values = [_value_text(answer) for answer in item.get("answer", [])]
        yield {"text": item.get("text") or item["linkId"], "values": values, "depth": depth}
        yield from _lines(item.get("item", []), depth + 1)


def _value_text(answer: dict[str, Any]) -> str:
    for key, value in answer.items():
        if key == "valueCoding":
            return str(value.get("display") or value.get("code"))
        if key == "valueBoolean":
            return _("Yes") if value else _("No")
        if key == "valueQuantity":
            return f"{value.get('value')} {value.get('unit', '')}".strip()
        if key.startswith("value"):
            return str(value)
    return ""
