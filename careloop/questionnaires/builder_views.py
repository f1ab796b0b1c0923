"""The builder: edit a questionnaire's draft item by item, preview it as a phone shows it, publish it.

The draft is FHIR JSON kept in the editor's session until it is published or discarded: edits are
plain POST-redirect steps (one form per item), each checked at once by the same reader that publishing
uses, with problems shown next to the item they name. The draft remembers which published definition
it started from, so publishing over someone else's newer publish is refused instead of undoing it.
"""

import hashlib
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.requests import StaffRequest
from careloop.questionnaires import drafting, managing
from careloop.questionnaires.actions import current_version
from careloop.questionnaires.builder_context import (
    BUILDER_CHOICES,
    item_rows,
    preview,
    questions,
    scoring_rows,
)
from careloop.questionnaires.builder_forms import read_item_edit, read_scoring_edit
from careloop.questionnaires.definition import DefinitionError
from careloop.questionnaires.draft_fields import apply_item_edit, apply_scoring_edit
from careloop.questionnaires.drafting import DraftError, Tree
from careloop.questionnaires.fhir_reading import ROOT
from careloop.questionnaires.manage_views import managed, versions_of
from careloop.questionnaires.models import Questionnaire

FHIR_STATUSES = ("draft", "active", "retired")


def _session_key(questionnaire: Questionnaire) -> str:
    return f"questionnaire-draft:{questionnaire.pk}"


def _published(questionnaire: Questionnaire) -> tuple[Tree | None, str]:
    """The current version's definition (canonical) and a fingerprint of it ("" when none is published)."""
    version = current_version(questionnaire)
    if version is None:
        return None, ""
    definition = drafting.canonical(version.definition)
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return definition, f"{version.pk}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def load_draft(request: StaffRequest, questionnaire: Questionnaire) -> tuple[Tree, str, bool]:
    """The draft, the fingerprint of what it started from, and whether it differs from the published one."""
    stored = request.session.get(_session_key(questionnaire))
    if stored:
        return stored["definition"], stored["base"], True
    definition, base = _published(questionnaire)
    if definition is None:
        return drafting.starter(questionnaire.title, questionnaire.language), base, False
    return definition, base, False


def save_draft(request: StaffRequest, questionnaire: Questionnaire, tree: Tree, base: str) -> None:
    request.session[_session_key(questionnaire)] = {"definition": tree, "base": base}


def _step(tree: Tree, request: StaffRequest) -> tuple[Tree, str]:
    """One edit from the POST: the changed tree and the linkId to show open afterwards ("" for none)."""
    data, op = request.POST, request.POST.get("op", "")
    link_id = data.get("item", "")
    if op == "add":
        parent = data.get("parent") or None
        return drafting.add_item(tree, data.get("type", ""), parent)
    if op == "save_item":
        edit = read_item_edit(data)
        return apply_item_edit(tree, link_id, edit), edit.link_id.strip()
    moves = {
        "up": lambda t: drafting.move_item(t, link_id, -1),
        "down": lambda t: drafting.move_item(t, link_id, 1),
        "nest": lambda t: drafting.nest_item(t, link_id),
        "unnest": lambda t: drafting.unnest_item(t, link_id),
    }
    if op in moves:
        return moves[op](tree), link_id
    if op == "delete":
        return drafting.delete_item(tree, link_id), ""
    if op == "save_root":
        changed = dict(tree)
        for key in ("title", "description"):
            value = data.get(key, "").strip()
            if value:
                changed[key] = value
            else:
                changed.pop(key, None)
        if data.get("status") in FHIR_STATUSES:
            changed["status"] = data["status"]
        return changed, ""
    if op == "save_scoring":
        scores, flags = read_scoring_edit(data)
        return apply_scoring_edit(tree, scores, flags), ""
    raise DraftError(_("Unknown change."))


@login_required
def builder(request: StaffRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = managed(request, questionnaire_id)
    tree, base, has_draft = load_draft(request, questionnaire)
    if request.method == "POST":
        try:
            tree, shown = _step(tree, request)
        except DraftError as error:
            messages.error(request, str(error))
            shown = request.POST.get("item", "")
        else:
            save_draft(request, questionnaire, tree, base)
        url = reverse("questionnaires:builder", args=[questionnaire.pk])
        return redirect(f"{url}?open={shown}#item-{shown}" if shown else url)
    problems = drafting.problems_by_item(tree)
    context = {
        "questionnaire": questionnaire,
        "tree": tree,
        "has_draft": has_draft,
        "rows": item_rows(tree, problems),
        "root_problems": problems.get(ROOT, []),
        "problem_count": sum(len(found) for found in problems.values()),
        "questions": questions(tree),
        "open": request.GET.get("open", ""),
        "versions": versions_of(questionnaire),
        "fhir_statuses": FHIR_STATUSES,
        "preview": preview(tree),
        **scoring_rows(tree),
        **BUILDER_CHOICES,
    }
    return render(request, "questionnaires/manage/builder.html", context)


@login_required
def builder_preview(request: StaffRequest, questionnaire_id: int) -> HttpResponse:
    """The preview pane again, after the answers tried in it (htmx), so that conditions can be tried."""
    questionnaire = managed(request, questionnaire_id)
    tree, _base, _has_draft = load_draft(request, questionnaire)
    answers = request.POST if request.method == "POST" else None
    context = {"questionnaire": questionnaire, "preview": preview(tree, answers)}
    return render(request, "questionnaires/manage/_preview.html", context)


@login_required
@require_POST
def publish(request: StaffRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = managed(request, questionnaire_id)
    tree, base, has_draft = load_draft(request, questionnaire)
    _definition, now_published = _published(questionnaire)
    if has_draft and base != now_published:
        messages.error(
            request,
            _(
                "This questionnaire was published by someone else after you started editing. "
                "Discard your draft to edit theirs."
            ),
        )
        return redirect("questionnaires:builder", questionnaire.pk)
    try:
        version, outcome = managing.do_publish(request.user, questionnaire, tree)
    except DefinitionError as error:
        messages.error(request, _("Not published: %(problems)s") % {"problems": error})
        return redirect("questionnaires:builder", questionnaire.pk)
    request.session.pop(_session_key(questionnaire), None)
    texts: dict[str, Any] = {
        "unchanged": _("Nothing to publish: the draft is the same as version %(number)s."),
        "replaced": _("Published as version %(number)s (it had no answers yet, so it was updated in place)."),
        "new": _("Published as version %(number)s. Earlier answers keep the version they answered."),
    }
    messages.success(request, texts[outcome] % {"number": version.number})
    return redirect("questionnaires:builder", questionnaire.pk)


@login_required
@require_POST
def discard(request: StaffRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = managed(request, questionnaire_id)
    if request.session.pop(_session_key(questionnaire), None) is not None:
        messages.success(request, _("The draft was discarded."))
    return redirect("questionnaires:builder", questionnaire.pk)
