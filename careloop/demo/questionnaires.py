"""The demo clinic's questionnaires: the shipped instruments installed, and a few PHQ-9 and GAD-7 answers
recorded by the nurse during calls — one in the severe band, one with item 9 (self-harm) answered, so the
patient page shows a band and the flag, and the demo doctor finds their alerts in the inbox. And links
sent to patients: one answered on the phone, one half answered, one expired, and one left for whoever runs
the demo to open."""

import datetime

from django.utils import timezone

from careloop.accounts.models import Organization, User
from careloop.alerts.models import Alert
from careloop.alerts.questionnaire_alerts import SOURCE_TYPE
from careloop.patients.models import Patient
from careloop.questionnaires.actions import do_install_shipped, do_record_answer
from careloop.questionnaires.forms import form_data
from careloop.questionnaires.invitations import do_answer_link, do_save_draft, do_send_links, link_path
from careloop.questionnaires.models import QuestionnaireAnswer, QuestionnaireInvitation, QuestionnaireVersion

# (patient rank among the seeded patients, instrument, item scores in order, days ago)
DEMO_ANSWERS = (
    (0, "phq-9", (3, 3, 2, 3, 2, 2, 3, 2, 1), 2),  # total 21: severe, item 9 raised
    (0, "phq-9", (2, 2, 1, 2, 1, 1, 1, 1, 0), 60),  # total 11: moderate, two months earlier
    (1, "phq-9", (1, 1, 0, 1, 0, 1, 0, 0, 1), 5),  # total 5: mild, but item 9 answered
    (2, "gad-7", (0, 1, 0, 1, 0, 0, 1), 10),  # total 3: minimal
)


def record_demo_answers(organization: Organization) -> list[QuestionnaireAnswer]:
    versions = {(v.questionnaire.key, v.questionnaire.language): v for v in do_install_shipped(organization)}
    nurse = User.objects.get(organization=organization, username="nurse")
    # Patients of the demo doctor's, so that their alerts (item 9, a severe total) reach that login.
    patients = list(
        Patient.objects.filter(organization=organization, responsible_doctor__username="doctor").order_by(
            "pk"
        )[:3]
    )
    recorded = []
    for rank, key, scores, days_ago in DEMO_ANSWERS:
        version = versions[(key, "zh")]
        answer = do_record_answer(nurse, patients[rank], version, _answers(version, scores))
        answer.answered_at = timezone.now() - datetime.timedelta(days=days_ago)
        answer.save(update_fields=["answered_at"])
        answer.score_rows.update(answered_at=answer.answered_at)
        # Raised when answered, as a real answer's alerts are: the inbox shows how long each has waited.
        Alert.objects.filter(source_type=SOURCE_TYPE, source_id=str(answer.pk)).update(
            raised_at=answer.answered_at
        )
        recorded.append(answer)
    return recorded


def _answers(version: QuestionnaireVersion, scores: tuple[int, ...]) -> dict[str, list[object]]:
    """The options with these scores, for the scored items in the order the definition lists them."""
    items = [item for item, _ in version.parsed.walk() if item.answer_options]
    return {
        item.link_id: [next(o.value for o in item.answer_options if o.score == score)]
        for item, score in zip(items, scores, strict=False)
    }


def send_demo_links(organization: Organization) -> str:
    """Links to the PHQ-9 for four patients in four states; the path of the one still open and empty."""
    nurse = User.objects.get(organization=organization, username="nurse")
    version = next(
        v
        for v in do_install_shipped(organization)
        if (v.questionnaire.key, v.questionnaire.language) == ("phq-9", "zh")
    )
    patients = list(Patient.objects.filter(organization=organization).order_by("pk")[3:7])
    answered, half, expired, fresh = do_send_links(nurse, patients, version)
    do_answer_link(answered.invitation, _answers(version, (1, 0, 1, 1, 0, 0, 0, 0, 0)))
    half_answers = _answers(version, (1, 1, 2, 0))
    typed = {
        link_id: str(_option_index(version, link_id, values[0])) for link_id, values in half_answers.items()
    }
    do_save_draft(half.invitation, form_data(version.parsed, typed))
    QuestionnaireInvitation.objects.filter(pk=expired.invitation.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=10),
        expires_at=timezone.now() - datetime.timedelta(days=3),
    )
    return link_path(fresh.token)


def _option_index(version: QuestionnaireVersion, link_id: str, value: object) -> int:
    """How the form posts a choice: the index of its option."""
    [item] = [item for item, _ in version.parsed.walk() if item.link_id == link_id]
    return next(i for i, option in enumerate(item.answer_options) if option.value == value)
