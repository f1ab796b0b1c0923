"""Scores as rows: written with each answer, the newest per patient and score read in one query."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careloop.questionnaires.actions import do_record_answer
from careloop.questionnaires.facts import latest_scores
from careloop.questionnaires.invitations import do_send_links
from careloop.questionnaires.models import QuestionnaireScore
from tests.factories import make_patient
from tests.questionnaires.test_answers import answers_scoring, phq9


def _answer(nurse, patient, version, scores, days_ago):
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, scores))
    when = timezone.now() - datetime.timedelta(days=days_ago)
    QuestionnaireScore.objects.filter(answer=answer).update(answered_at=when)
    return answer


def test_each_answer_writes_its_totals_as_rows(org, nurse, patient):
    version = phq9(org)
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, (3,) * 8 + (1,)))
    [row] = QuestionnaireScore.objects.all()
    assert (row.patient, row.answer, row.code, row.total, row.band) == (
        patient,
        answer,
        "44261-6",
        25,
        "severe",
    )


def test_the_newest_total_of_each_score_per_patient_in_one_query(org, other_org, nurse, patient):
    zh, en = phq9(org, "zh"), phq9(org, "en")
    other = make_patient(nurse, name="李四")
    _answer(nurse, patient, zh, (3,) * 9, days_ago=30)
    _answer(nurse, patient, en, (0,) * 9, days_ago=2)  # the same score in English: the newer one counts
    _answer(nurse, other, zh, (1,) * 9, days_ago=5)
    with CaptureQueriesContext(connection) as queries:
        latest = {(s.patient_id, s.code): (s.total, s.band) for s in latest_scores(org.pk)}
    assert len(queries) == 1
    assert latest == {(patient.pk, "44261-6"): (0, "none-minimal"), (other.pk, "44261-6"): (9, "mild")}
    assert [s.patient_id for s in latest_scores(org.pk, [other.pk])] == [other.pk]
    assert not latest_scores(other_org.pk).exists()


def test_an_anonymous_answer_has_no_score_rows(org, nurse, patient, monkeypatch):
    monkeypatch.setattr("careloop.questionnaires.actions.is_anonymous", lambda definition: True)
    version = phq9(org)
    from careloop.questionnaires.invitations import do_answer_link

    [link] = do_send_links(nurse, [patient], version)
    answer = do_answer_link(link.invitation, answers_scoring(version, (1,) * 9))
    assert answer.patient is None and answer.response.get("subject") is None
    assert answer.answered_at.hour == 0 and answer.answered_at.minute == 0
    assert not QuestionnaireScore.objects.exists()
    link.invitation.refresh_from_db()
    assert link.invitation.completed_at and link.invitation.answer is None
