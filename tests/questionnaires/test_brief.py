"""The doctor's pre-visit brief: what the intake says, abnormal results since the last visit, current scores,
medicines and allergies; scoped, permission-checked and audited like every patient page."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.observations.models import Observation
from careloop.patients.models import Allergy, Medication
from careloop.questionnaires.actions import do_install_shipped, do_record_answer
from careloop.questionnaires.brief import previsit_brief
from careloop.questionnaires.definition import Coding
from careloop.questionnaires.models import QuestionnaireAnswer, QuestionnaireVersion
from tests.factories import make_organization, make_patient, make_user

_source = itertools.count(1)


def versions(org) -> dict[str, QuestionnaireVersion]:
    return {v.questionnaire.key: v for v in do_install_shipped(org) if v.questionnaire.language == "zh"}


def coded(version, link_id, code) -> list[object]:
    options = version.parsed.item(link_id).answer_options
    return [next(o.value for o in options if isinstance(o.value, Coding) and o.value.code == code)]


def answered(user, patient, version, answers, days_ago) -> QuestionnaireAnswer:
    answer = do_record_answer(user, patient, version, answers)
    answer.answered_at = timezone.now() - datetime.timedelta(days=days_ago)
    answer.save(update_fields=["answered_at"])
    return answer


def intake(user, patient, version, complaint, days_ago, changes="") -> QuestionnaireAnswer:
    answers = {"chief-complaint": [complaint], "allergies": coded(version, "allergies", "yes")}
    answers["allergy-details"] = ["青霉素 起皮疹"]
    answers["medications"] = ["氨氯地平 5mg 每天一次"]
    if changes:
        answers["changes-since-last-visit"] = [changes]
    return answered(user, patient, version, answers, days_ago)


def phq9(user, patient, version, score, days_ago) -> QuestionnaireAnswer:
    items = [item for item, _ in version.parsed.walk() if item.answer_options][:9]
    answers = {item.link_id: [item.answer_options[score].value] for item in items}
    if score and version.parsed.has_item("10"):  # the unscored difficulty item (English only)
        answers["10"] = [version.parsed.item("10").answer_options[0].value]
    return answered(user, patient, version, answers, days_ago)


def result(patient, code, value, flag, days_ago, status="final", organization=None) -> Observation:
    return Observation.objects.create(
        organization=organization or patient.organization,
        patient=patient,
        code=code,
        value=value,
        unit="mmol/L",
        value_reported=str(value),
        unit_reported="mmol/L",
        flag=flag,
        status=status,
        effective_at=timezone.now() - datetime.timedelta(days=days_ago),
        source_kind="hospital_system",
        source_system="test-lis",
        source_id=f"brief-{next(_source)}",
    )


@pytest.fixture
def history(org, doctor, patient):
    """A patient seen 40 days ago (first intake) and coming again (second intake), with results between."""
    v = versions(org)
    intake(doctor, patient, v["intake"], "血压控制不好", days_ago=40)
    latest = intake(
        doctor, patient, v["intake"], "头晕一周 早上明显", days_ago=1, changes="上月加了一种降压药"
    )
    phq9(doctor, patient, v["phq-9"], 3, days_ago=30)  # total 27, superseded by the one below
    phq9(doctor, patient, v["phq-9"], 1, days_ago=2)  # total 9: mild
    discharge = {
        "overall": coded(v["post-discharge"], "overall", "same"),
        "new-or-worse-symptoms": coded(v["post-discharge"], "new-or-worse-symptoms", "N"),
        "medicines": coded(v["post-discharge"], "medicines", "as-prescribed"),
        "complications": coded(v["post-discharge"], "complications", "N"),
        "call-back": coded(v["post-discharge"], "call-back", "Y"),
    }
    answered(doctor, patient, v["post-discharge"], discharge, days_ago=10)
    result(patient, "1558-6", 7.9, "high", days_ago=60)  # before the previous intake: the last visit's
    result(patient, "1558-6", 8.4, "high", days_ago=20)
    result(patient, "1558-6", 9.1, "high", days_ago=5)
    result(patient, "2823-3", 2.6, "critical_low", days_ago=25)
    result(patient, "2093-3", 4.2, "normal", days_ago=3)
    result(patient, "2571-8", 3.9, "high", days_ago=4, status="entered-in-error")
    Medication.objects.create(patient=patient, name="氨氯地平", dose="5 mg")
    Medication.objects.create(
        patient=patient,
        name="停用药",
        dose="1 mg",
        stop_date=timezone.localdate() - datetime.timedelta(days=7),
    )
    Allergy.objects.create(patient=patient, substance="青霉素", category="medication", reaction="皮疹")
    return latest


def test_the_brief_gathers_the_intake_results_scores_medicines_and_allergies(patient, history):
    brief = previsit_brief(patient, "zh")
    assert brief.intake is not None and brief.intake.answer == history
    assert (brief.intake.chief_complaint, brief.intake.changes) == (
        "头晕一周 早上明显",
        "上月加了一种降压药",
    )
    assert (brief.intake.allergies, brief.intake.medications) == ("青霉素 起皮疹", "氨氯地平 5mg 每天一次")
    assert brief.since_previous_intake
    assert brief.since.date() == (timezone.now() - datetime.timedelta(days=40)).date()
    # Critical first; one row per indicator, its latest abnormal value and how many there were.
    assert [(r.code, r.value, r.flag, r.count) for r in brief.results] == [
        ("2823-3", "2.6 mmol/L", "critical_low", 1),
        ("1558-6", "9.1 mmol/L", "high", 2),
    ]
    assert brief.results[1].name == "空腹血糖"
    scores = {entry["answer"].version.questionnaire.key: entry for entry in brief.scores}
    assert set(scores) == {"phq-9", "post-discharge"}  # the intake has neither total nor flag
    assert scores["phq-9"]["scores"][0]["total"] == 9
    assert scores["phq-9"]["scores"][0]["band"] == "轻度抑郁"
    assert scores["post-discharge"]["flags"] == ["要求医护人员回电"]
    assert [m.name for m in brief.medications] == ["氨氯地平"]
    assert [a.substance for a in brief.allergies] == ["青霉素"]


def test_without_an_earlier_intake_the_brief_looks_back_90_days(org, doctor, patient):
    intake(doctor, patient, versions(org)["intake"], "咳嗽", days_ago=0)
    result(patient, "1558-6", 8.0, "high", days_ago=100)
    result(patient, "2823-3", 5.9, "high", days_ago=80)
    brief = previsit_brief(patient, "en")
    assert not brief.since_previous_intake
    assert [r.code for r in brief.results] == ["2823-3"]
    assert brief.results[0].name == "Potassium"


def test_another_organizations_results_of_the_same_patient_id_are_not_read(org, doctor, patient):
    result(patient, "1558-6", 9.0, "high", days_ago=3, organization=make_organization("别家医院"))
    assert previsit_brief(patient, "zh").results == []


def test_the_page_shows_the_brief_and_audits_the_read(client, doctor, patient, history):
    client.force_login(doctor)
    response = client.get(reverse("questionnaires:brief", args=[patient.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "头晕一周 早上明显",
        "上月加了一种降压药",
        'data-code="2823-3"',
        "氨氯地平",
        "青霉素",
        "要求医护人员回电",
    ):
        assert text in page
    assert "停用药" not in page and 'data-code="2093-3"' not in page and 'data-code="2571-8"' not in page
    entry = AuditEntry.objects.filter(action="patient.view", patient_id=patient.pk).latest("pk")
    assert (entry.actor_id, entry.detail) == (doctor.pk, {"section": "questionnaires.brief"})


def test_a_patient_with_nothing_recorded_gets_an_empty_brief(client, doctor, patient):
    client.force_login(doctor)
    page = client.get(reverse("questionnaires:brief", args=[patient.pk])).content.decode()
    assert (
        'id="brief-no-intake"' in page and 'id="brief-no-results"' in page and 'id="brief-no-scores"' in page
    )


def test_a_role_without_the_health_record_is_refused(client, org, patient):
    client.force_login(make_user(org, "receptionist"))
    assert client.get(reverse("questionnaires:brief", args=[patient.pk])).status_code == 403


def test_another_organizations_patient_does_not_exist(client, patient):
    client.force_login(make_user(make_organization("别家医院"), "doctor"))
    assert client.get(reverse("questionnaires:brief", args=[patient.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="patient.view", patient_id=patient.pk).exists()


def test_the_page_only_reads(client, doctor, patient):
    client.force_login(doctor)
    assert client.post(reverse("questionnaires:brief", args=[patient.pk])).status_code == 405


def test_the_brief_is_linked_from_the_tab_and_from_an_intake_answer_only(
    client, org, doctor, patient, history
):
    client.force_login(doctor)
    url = reverse("questionnaires:brief", args=[patient.pk])
    assert url in client.get(reverse("patients:tab", args=[patient.pk, "questionnaires"])).content.decode()
    assert url in client.get(reverse("questionnaires:answer", args=[patient.pk, history.pk])).content.decode()
    phq = QuestionnaireAnswer.objects.filter(version__questionnaire__key="phq-9").first()
    assert phq is not None
    assert url not in client.get(reverse("questionnaires:answer", args=[patient.pk, phq.pk])).content.decode()


def test_the_query_count_does_not_grow_with_the_history(client, org, doctor, patient, history):
    client.force_login(doctor)
    url = reverse("questionnaires:brief", args=[patient.pk])
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    v = versions(org)
    for days in range(3, 9):
        phq9(doctor, patient, v["phq-9"], 2, days_ago=days)
        result(patient, "2345-7", 11.0, "high", days_ago=days)
    other = make_patient(doctor, name="李四")
    intake(doctor, other, v["intake"], "别人的主诉", days_ago=0)
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
    assert "别人的主诉" not in page
