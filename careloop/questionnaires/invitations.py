"""Questionnaire links: sending one to patients, and what the patient's phone does with it.

A link is `/q/<token>/`: 22 random URL-safe characters (128 bits), short enough for an SMS. It is single
use (answering it closes it), expires, and staff may withdraw it. Opening it needs no login, so the token
is the only secret: it is looked up by its keyed digest and never written to the audit trail or the logs.
"""

import datetime
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.encryption import cipher
from careloop.patients.models import Patient
from careloop.questionnaires.actions import current_version, do_record_answer
from careloop.questionnaires.definition import Questionnaire as Definition
from careloop.questionnaires.forms import read_answers
from careloop.questionnaires.models import (
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireInvitation,
    QuestionnaireVersion,
)

DEFAULT_DAYS = 7
MAX_DAYS = 30
# One send to a tag writes one link and one audit entry per patient; a tag larger than this is a
# broadcast, which belongs to the outreach pages.
MAX_PATIENTS_PER_SEND = 2000
# A draft keeps what was typed, item by item; an item's text longer than this is cut, not refused, so a
# pasted essay never costs the patient the rest of the form.
MAX_DRAFT_TEXT = 5000


class LinkClosed(Exception):
    """The link can no longer be answered; `state` says why ("answered", "withdrawn", "expired")."""

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(state)


@dataclass(frozen=True)
class SentLink:
    invitation: QuestionnaireInvitation
    token: str


def token_digest(token: str) -> str:
    return cipher().blind_index(token)


def link_path(token: str) -> str:
    return f"/q/{token}/"


def link_url(token: str, request: HttpRequest) -> str:
    """The address a patient opens: at the installation's public address when one is configured."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + link_path(token)
    return request.build_absolute_uri(link_path(token))


def find_invitation(token: str) -> QuestionnaireInvitation | None:
    if not token or len(token) > 64:
        return None
    return (
        QuestionnaireInvitation.objects.select_related("version__questionnaire", "patient", "organization")
        .filter(token_digest=token_digest(token))
        .first()
    )


def do_send_links(
    user: User, patients: Sequence[Patient], version: QuestionnaireVersion, days: int = DEFAULT_DAYS
) -> list[SentLink]:
    """One new link per patient for `version`, valid for `days`; the audit entry names the patient and
    the questionnaire, never the token."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a link is valid for 1 to {MAX_DAYS} days")
    if len(patients) > MAX_PATIENTS_PER_SEND:
        raise ValueError(f"at most {MAX_PATIENTS_PER_SEND} patients at once")
    questionnaire = version.questionnaire
    now = timezone.now()
    sent = []
    for patient in patients:
        if patient.organization_id != questionnaire.organization_id:
            raise ValueError("the questionnaire belongs to another organization")
        token = secrets.token_urlsafe(16)
        invitation = QuestionnaireInvitation(
            organization_id=patient.organization_id,
            patient=patient,
            version=version,
            token_digest=token_digest(token),
            token=token,
            created_by=user,
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
        )
        sent.append(SentLink(invitation, token))
    with transaction.atomic():
        QuestionnaireInvitation.objects.bulk_create([link.invitation for link in sent])
        for link in sent:
            audit.record(
                "questionnaire.link_send",
                organization_id=questionnaire.organization_id,
                obj=link.invitation,
                patient_id=link.invitation.patient_id,
                actor=user,
                detail={
                    "questionnaire": questionnaire.key,
                    "language": questionnaire.language,
                    "version": version.number,
                    "days": days,
                },
            )
    return sent


def do_withdraw_link(user: User, invitation: QuestionnaireInvitation) -> None:
    if invitation.state(timezone.now()) != "open":
        return
    invitation.revoked_at = timezone.now()
    with transaction.atomic():
        invitation.save(update_fields=["revoked_at"])
        audit.record(
            "questionnaire.link_withdraw",
            organization_id=invitation.organization_id,
            obj=invitation,
            patient_id=invitation.patient_id,
            actor=user,
        )


def mark_opened(invitation: QuestionnaireInvitation) -> None:
    if invitation.opened_at is None:
        invitation.opened_at = timezone.now()
        invitation.save(update_fields=["opened_at"])


def draft_of(definition: Definition, posted: QueryDict) -> dict[str, str]:
    """What to keep of a partial POST: the text of the questionnaire's own items only, each bounded."""
    return {link_id: text[:MAX_DRAFT_TEXT] for link_id, text in read_answers(definition, posted).raw.items()}


def do_save_draft(invitation: QuestionnaireInvitation, posted: QueryDict) -> None:
    """Keep what the patient has typed so far (replacing the previous draft); refused once closed."""
    with transaction.atomic():
        current = QuestionnaireInvitation.objects.select_for_update().get(pk=invitation.pk)
        state = current.state(timezone.now())
        if state != "open":
            raise LinkClosed(state)
        current.draft = draft_of(invitation.version.parsed, posted)
        current.draft_saved_at = timezone.now()
        current.save(update_fields=["draft", "draft_saved_at"])
    invitation.draft, invitation.draft_saved_at = current.draft, current.draft_saved_at


def other_languages(invitation: QuestionnaireInvitation) -> list[QuestionnaireVersion]:
    """The current versions of the same questionnaire in the organization's other languages."""
    questionnaire = invitation.version.questionnaire
    others = (
        Questionnaire.objects.filter(
            organization_id=questionnaire.organization_id, key=questionnaire.key, status="active"
        )
        .exclude(language=questionnaire.language)
        .order_by("language")
    )
    return [version for other in others if (version := current_version(other)) is not None]


def do_switch_language(invitation: QuestionnaireInvitation, language: str) -> None:
    """Answer in another language: the link moves to that language's version, keeping what was typed for
    the questions the two share (the shipped instruments give each question the same linkId in both)."""
    target = next((v for v in other_languages(invitation) if v.questionnaire.language == language), None)
    if target is None:
        return
    shared = {item.link_id for item, _parent in target.parsed.walk()}
    with transaction.atomic():
        current = QuestionnaireInvitation.objects.select_for_update().get(pk=invitation.pk)
        if current.state(timezone.now()) != "open":
            raise LinkClosed(current.state(timezone.now()))
        current.version = target
        current.draft = {link_id: text for link_id, text in current.draft.items() if link_id in shared}
        current.save(update_fields=["version", "draft"])


def do_answer_link(
    invitation: QuestionnaireInvitation, answers: Mapping[str, Sequence[object]]
) -> QuestionnaireAnswer:
    """Store the patient's answer and close the link, once: a second submit (two taps, two tabs) finds
    the link answered. Raises `LinkClosed`, or `InvalidAnswers` as `do_record_answer` does."""
    with transaction.atomic():
        current = QuestionnaireInvitation.objects.select_for_update().get(pk=invitation.pk)
        state = current.state(timezone.now())
        if state != "open":
            raise LinkClosed(state)
        answer = do_record_answer(None, invitation.patient, invitation.version, answers, channel="link")
        # An anonymous answer stays unlinked: the link knows who it was sent to.
        current.answer = None if answer.patient_id is None else answer
        current.completed_at = timezone.now()
        current.draft = {}
        current.save(update_fields=["answer", "completed_at", "draft"])
    return answer
