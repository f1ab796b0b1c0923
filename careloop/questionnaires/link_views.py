"""The patient's side of a questionnaire link: no login, a phone screen, the questionnaire's language.

The page saves what is typed as the patient goes (`save`), so a reload, a dropped network or a phone that
runs out of battery loses nothing; the browser also keeps a copy until the answer is stored. A link that
cannot be answered any more gets a page that says why, with status 410 (404 for one that never was).
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from careloop.questionnaires.enablewhen import enabled_link_ids
from careloop.questionnaires.forms import FilledForm, form_data, form_rows, read_answers
from careloop.questionnaires.invitations import (
    LinkClosed,
    do_answer_link,
    do_save_draft,
    do_switch_language,
    find_invitation,
    mark_opened,
    other_languages,
)
from careloop.questionnaires.models import QuestionnaireInvitation
from careloop.questionnaires.scoring import InvalidAnswers

UI_LANGUAGES = {"zh": "zh-hans", "en": "en"}
# Each language named in itself: a patient who cannot read the page still finds their own.
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def _ui_language(invitation: QuestionnaireInvitation | None) -> str:
    if invitation is None:
        return translation.get_language() or "zh-hans"
    return UI_LANGUAGES.get(invitation.version.questionnaire.language, "zh-hans")


def _closed(request: HttpRequest, state: str, invitation: QuestionnaireInvitation | None) -> HttpResponse:
    with translation.override(_ui_language(invitation)):
        context = {"state": state, "invitation": invitation}
        return render(
            request, "questionnaires/link_closed.html", context, status=404 if state == "unknown" else 410
        )


def _storage_key(invitation: QuestionnaireInvitation) -> str:
    """Where the phone keeps its copy of the answers: never under the token, which the page does not store."""
    return f"careloop-q-{invitation.pk}"


def _draft_form(invitation: QuestionnaireInvitation) -> FilledForm:
    """The saved draft shown again; a value that no longer reads is shown as typed, without scolding."""
    definition = invitation.version.parsed
    form = read_answers(definition, form_data(definition, invitation.draft))
    form.errors.clear()
    return form


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = find_invitation(token)
    if invitation is None:
        return _closed(request, "unknown", None)
    state = invitation.state(timezone.now())
    if state != "open":
        return _closed(request, state, invitation)
    definition = invitation.version.parsed
    with translation.override(_ui_language(invitation)):
        if request.method == "POST" and request.POST.get("language"):
            try:
                do_switch_language(invitation, request.POST["language"])
            except LinkClosed as closed:
                return _closed(request, closed.state, invitation)
            return redirect("questionnaire_link:answer", token)
        if request.method == "POST":
            form = read_answers(definition, request.POST)
            try:
                if not form.errors:
                    try:
                        do_answer_link(invitation, form.answers)
                    except InvalidAnswers as refused:
                        form.add_errors(refused.errors)
                    else:
                        return redirect("questionnaire_link:done", token)
                do_save_draft(invitation, request.POST)  # what was typed survives the refusal
            except LinkClosed as closed:
                return _closed(request, closed.state, invitation)
        else:
            mark_opened(invitation)
            form = _draft_form(invitation)
        context = {
            "invitation": invitation,
            "questionnaire": invitation.version.questionnaire,
            "definition": definition,
            "rows": form_rows(definition, form),
            "has_errors": bool(form.errors),
            "storage_key": _storage_key(invitation),
            "organization_name": invitation.organization.name,
            "other_languages": [
                {"code": v.questionnaire.language, "name": LANGUAGE_NAMES.get(v.questionnaire.language, "")}
                for v in other_languages(invitation)
            ],
        }
        return render(request, "questionnaires/link_answer.html", context, status=400 if form.errors else 200)


@never_cache
@require_POST
def save(request: HttpRequest, token: str) -> HttpResponse:
    """Keep the answers so far; reply which items the answers now ask, so the page shows only those."""
    invitation = find_invitation(token)
    if invitation is None:
        return JsonResponse({"state": "unknown"}, status=404)
    try:
        do_save_draft(invitation, request.POST)
    except LinkClosed as closed:
        return JsonResponse({"state": closed.state}, status=410)
    definition = invitation.version.parsed
    answers = read_answers(definition, request.POST).answers
    return JsonResponse(
        {
            "state": "open",
            "saved_at": timezone.localtime(invitation.draft_saved_at).strftime("%H:%M"),
            "enabled": sorted(enabled_link_ids(definition, answers)),
        }
    )


@never_cache
def done(request: HttpRequest, token: str) -> HttpResponse:
    invitation = find_invitation(token)
    if invitation is None:
        return _closed(request, "unknown", None)
    if invitation.state(timezone.now()) != "answered":
        return redirect("questionnaire_link:answer", token)
    with translation.override(_ui_language(invitation)):
        context = {
            "invitation": invitation,
            "questionnaire": invitation.version.questionnaire,
            "storage_key": _storage_key(invitation),
            "organization_name": invitation.organization.name,
        }
        return render(request, "questionnaires/link_done.html", context)
