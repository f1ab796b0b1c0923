"""An administrator's changes to the organization's questionnaires: create, publish, import, retire.

Versioning: a published definition is stored canonical (as `to_fhir` writes it). Publishing a changed
definition over a version that has answers makes a new version (number + 1), so every answer keeps the
wording it was given with; a current version that nobody has answered yet is replaced in place, so that
a questionnaire being set up does not collect a version per edit. Each change writes its audit entry in
the same transaction.
"""

from typing import Any

from django.db import transaction

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.questionnaires.definition import DefinitionError, Problem
from careloop.questionnaires.drafting import canonical
from careloop.questionnaires.fhir_reading import ROOT
from careloop.questionnaires.models import Questionnaire, QuestionnaireVersion


@transaction.atomic
def do_create_questionnaire(user: User, key: str, language: str, title: str) -> Questionnaire:
    """A new questionnaire with no version yet: it stays out of use (retired) until its first publish,
    so staff are never offered an empty form."""
    assert user.organization_id is not None  # only an organization's administrator manages questionnaires
    questionnaire = Questionnaire.objects.create(
        organization_id=user.organization_id, key=key, language=language, title=title, status="retired"
    )
    audit.record(
        "questionnaire.create",
        organization_id=questionnaire.organization_id,
        obj=questionnaire,
        actor=user,
        detail={"key": key, "language": language},
    )
    return questionnaire


def do_publish(
    user: User,
    questionnaire: Questionnaire,
    definition: dict[str, Any],
    *,
    action: str = "questionnaire.publish",
) -> tuple[QuestionnaireVersion, str]:
    """Store `definition` as the questionnaire's current version; raises `DefinitionError` (nothing stored).

    Returns the version and what happened: "unchanged", "replaced" (in place, no answers yet) or "new".
    """
    stored = canonical(definition)
    if not stored.get("item"):
        raise DefinitionError([Problem(ROOT, "add at least one item")])
    with transaction.atomic():
        # Locking the questionnaire serialises publishers; locking the current version keeps an answer
        # from being stored against it while its definition is replaced.
        Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
        current = (
            QuestionnaireVersion.objects.select_for_update()
            .filter(questionnaire=questionnaire)
            .order_by("-number")
            .first()
        )
        if current is not None and canonical(current.definition) == stored:
            return current, "unchanged"
        if current is not None and not current.answers.exists():
            current.definition = stored
            current.save(update_fields=["definition"])
            version, outcome = current, "replaced"
        else:
            version = QuestionnaireVersion.objects.create(
                questionnaire=questionnaire, number=(current.number + 1) if current else 1, definition=stored
            )
            outcome = "new"
        changed = _follow_definition(questionnaire, stored, first=current is None)
        audit.record(
            action,
            organization_id=questionnaire.organization_id,
            obj=version,
            actor=user,
            detail={
                "key": questionnaire.key,
                "language": questionnaire.language,
                "version": version.number,
                "outcome": outcome,
                "items": len(stored["item"]),
                **changed,
            },
        )
    version.__dict__.pop("parsed", None)  # a cached reading would be of the replaced definition
    return version, outcome


def _follow_definition(
    questionnaire: Questionnaire, stored: dict[str, Any], *, first: bool
) -> dict[str, Any]:
    """The questionnaire's title follows its definition's; the first publish puts it in use."""
    changed: dict[str, Any] = {}
    title = str(stored.get("title") or questionnaire.title)[:200]
    if title != questionnaire.title:
        changed["title"] = [questionnaire.title, title]
        questionnaire.title = title
    if first and questionnaire.status != "active":
        changed["status"] = [questionnaire.status, "active"]
        questionnaire.status = "active"
    if changed:
        questionnaire.save(update_fields=["title", "status"])
    return changed


def _language_problem(definition: dict[str, Any], language: str) -> None:
    """An import must be in the questionnaire's language: "zh-CN" fits "zh", "en" does not."""
    given = definition.get("language")
    if isinstance(given, str) and given.split("-")[0].lower() != language:
        message = f"language {given} does not match the questionnaire's language {language}"
        raise DefinitionError([Problem(ROOT, message)])


@transaction.atomic
def do_import_new(
    user: User, definition: dict[str, Any], key: str, language: str
) -> tuple[QuestionnaireVersion, str]:
    """An imported FHIR Questionnaire as a new questionnaire, in use at once; raises `DefinitionError`."""
    canonical(definition)  # refuse before anything is created
    _language_problem(definition, language)
    assert user.organization_id is not None
    title = str(definition.get("title") or definition.get("name") or key)[:200]
    questionnaire = Questionnaire.objects.create(
        organization_id=user.organization_id, key=key, language=language, title=title, status="active"
    )
    return do_publish(user, questionnaire, definition, action="questionnaire.import")


def do_import_version(
    user: User, questionnaire: Questionnaire, definition: dict[str, Any]
) -> tuple[QuestionnaireVersion, str]:
    """An imported FHIR Questionnaire as the next version of `questionnaire` (same versioning as publish)."""
    _language_problem(definition, questionnaire.language)
    return do_publish(user, questionnaire, definition, action="questionnaire.import")


@transaction.atomic
def do_set_status(user: User, questionnaire: Questionnaire, status: str) -> bool:
    """Retire a questionnaire (staff are no longer offered it; its answers stay) or put it back in use.

    Returns False when there was nothing to change. A questionnaire never published cannot be put in use.
    """
    if status not in ("active", "retired") or status == questionnaire.status:
        return False
    if status == "active" and not questionnaire.versions.exists():
        return False
    old, questionnaire.status = questionnaire.status, status
    questionnaire.save(update_fields=["status"])
    retiring = status == "retired"
    audit.record(
        "questionnaire.retire" if retiring else "questionnaire.reactivate",
        organization_id=questionnaire.organization_id,
        obj=questionnaire,
        actor=user,
        detail={"key": questionnaire.key, "language": questionnaire.language, "status": [old, status]},
    )
    return True


def record_export(
    user: User, questionnaire: Questionnaire, fmt: str, count: int, last_answer_id: int
) -> None:
    """The audit entry of an answers export: the exported set is every answer to `questionnaire` with an
    id up to `last_answer_id`, so the entry says exactly which answers left the system."""
    audit.record(
        "questionnaire.export",
        organization_id=questionnaire.organization_id,
        obj=questionnaire,
        actor=user,
        detail={
            "key": questionnaire.key,
            "language": questionnaire.language,
            "format": fmt,
            "answers": count,
            "last_answer_id": last_answer_id,
        },
    )
