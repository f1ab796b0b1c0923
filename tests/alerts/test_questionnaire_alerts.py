"""A questionnaire answer raises its alerts at once, to the patient's responsible doctor."""

import pytest

from careloop.accounts.models import AuditEntry
from careloop.alerts.models import Alert
from careloop.alerts.questionnaire_alerts import raise_questionnaire_alerts
from careloop.questionnaires.actions import do_record_answer
from careloop.questionnaires.models import QuestionnaireAnswer
from careloop.questionnaires.scoring import InvalidAnswers
from tests.questionnaires.test_answers import answers_scoring, phq9

ITEM_9_LOW_TOTAL = (0, 1, 0, 0, 0, 0, 0, 0, 1)  # total 2, item 9 "several days"
SEVERE_WITHOUT_ITEM_9 = (3, 3, 3, 3, 2, 2, 2, 2, 0)  # total 20
MODERATE = (2, 2, 1, 2, 1, 1, 2, 1, 0)  # total 12


def test_item_9_with_a_low_total_raises_an_urgent_alert_showing_the_answer(record_phq9, doctor, nurse):
    answer = record_phq9(ITEM_9_LOW_TOTAL)
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.status) == ("questionnaire", "urgent", "open")
    assert (alert.patient_id, alert.assigned_to, alert.raised_at) == (
        answer.patient_id,
        doctor,
        answer.answered_at,
    )
    assert (alert.source_type, alert.source_id, alert.reason) == (
        "questionnaire_answer",
        str(answer.pk),
        "flag:phq-9-item-9-suicide-risk",
    )
    assert alert.detail["questionnaire"] == {
        "key": "phq-9",
        "title": "PHQ-9 患者健康问卷-9",
        "language": "zh",
    }
    assert alert.detail["cause"]["code"] == "phq-9-item-9-suicide-risk"
    [item] = alert.detail["items"]
    assert (item["link_id"], item["answer"]) == ("9", "好几天")
    assert "伤害自己" in item["text"]
    entry = AuditEntry.objects.get(action="alert.raise")
    assert (entry.patient_id, entry.actor_id, entry.object_id) == (answer.patient_id, nurse.pk, str(alert.pk))
    assert entry.detail["assigned_to"] == doctor.pk


def test_a_severe_total_raises_a_high_alert(record_phq9):
    record_phq9(SEVERE_WITHOUT_ITEM_9)
    alert = Alert.objects.get()
    assert (alert.severity, alert.reason) == ("high", "band:44261-6:severe")
    assert alert.detail["cause"] == {
        "type": "band",
        "score": "44261-6",
        "total": 20,
        "code": "severe",
        "en": "severe",
        "zh": "重度抑郁",
    }
    assert alert.detail["items"] == []


def test_a_moderate_total_without_item_9_raises_nothing(record_phq9):
    record_phq9(MODERATE)
    assert not Alert.objects.exists()
    assert not AuditEntry.objects.filter(action="alert.raise").exists()


def test_a_severe_total_with_item_9_raises_both(record_phq9):
    record_phq9((3, 3, 2, 3, 2, 2, 3, 2, 1))
    assert sorted(Alert.objects.values_list("severity", flat=True)) == ["high", "urgent"]


def test_raising_again_for_the_same_answer_changes_nothing(record_phq9):
    answer = record_phq9((3, 3, 2, 3, 2, 2, 3, 2, 1))
    first = {a.pk for a in Alert.objects.all()}
    again = raise_questionnaire_alerts(answer)
    assert {a.pk for a in again} == first
    assert Alert.objects.count() == 2
    assert AuditEntry.objects.filter(action="alert.raise").count() == 2


def test_each_answer_raises_its_own_alert(record_phq9):
    record_phq9(ITEM_9_LOW_TOTAL)
    record_phq9(ITEM_9_LOW_TOTAL)
    assert Alert.objects.count() == 2


def test_a_patient_without_a_responsible_doctor_gets_an_unassigned_alert(org, nurse, patient):
    version = phq9(org)
    do_record_answer(nurse, patient, version, answers_scoring(version, ITEM_9_LOW_TOTAL))
    assert Alert.objects.get().assigned_to is None


def test_an_anonymous_answer_raises_nothing(record_phq9):
    answer = record_phq9(ITEM_9_LOW_TOTAL)
    Alert.objects.all().delete()
    anonymous = QuestionnaireAnswer(
        organization_id=answer.organization_id,
        version=answer.version,
        response=answer.response,
        scores=answer.scores,
    )
    assert anonymous.patient_id is None
    assert raise_questionnaire_alerts(anonymous) == []
    assert not Alert.objects.exists()


def test_a_refused_answer_raises_nothing(org, nurse, cared_for):
    version = phq9(org)
    with pytest.raises(InvalidAnswers):
        do_record_answer(nurse, cared_for, version, answers_scoring(version, (3, 3, 3, 3, 3, 3, 3, 3)))
    assert not Alert.objects.exists()
