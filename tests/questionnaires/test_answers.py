"""Staff record a shipped questionnaire: install, versions, validation, scoring, audit, pages."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.questionnaires.actions import do_install_shipped, do_record_answer
from careloop.questionnaires.instruments import SHIPPED
from careloop.questionnaires.models import Questionnaire, QuestionnaireAnswer, QuestionnaireVersion
from careloop.questionnaires.scoring import InvalidAnswers
from tests.factories import make_patient, make_user

SEVERE_WITH_ITEM_9 = (3, 3, 2, 3, 2, 2, 3, 2, 1)  # total 21


def phq9(org, language="zh") -> QuestionnaireVersion:
    versions = do_install_shipped(org)
    return next(v for v in versions if (v.questionnaire.key, v.questionnaire.language) == ("phq-9", language))


def answers_scoring(version, scores):
    items = [item for item, _ in version.parsed.walk() if item.answer_options]
    return {
        item.link_id: [next(o.value for o in item.answer_options if o.score == score)]
        for item, score in zip(items, scores, strict=False)
    }


def posted(version, scores):
    """The form's POST: each choice as the index of its option."""
    items = [item for item, _ in version.parsed.walk() if item.answer_options]
    data = {"version": str(version.pk)}
    for item, score in zip(items, scores, strict=False):
        data[f"item-{item.link_id}"] = str(
            next(i for i, o in enumerate(item.answer_options) if o.score == score)
        )
    return data


def test_installing_twice_installs_each_shipped_instrument_once(org):
    first = do_install_shipped(org)
    second = do_install_shipped(org)
    assert [v.pk for v in first] == [v.pk for v in second]
    assert Questionnaire.objects.filter(organization=org).count() == len(SHIPPED)
    assert QuestionnaireVersion.objects.filter(questionnaire__organization=org).count() == len(SHIPPED)
    assert AuditEntry.objects.filter(action="questionnaire.install").count() == len(SHIPPED)


def test_a_changed_definition_makes_a_new_version_and_old_answers_keep_theirs(org, nurse, patient):
    version = phq9(org)
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, (0,) * 9))
    changed = {**version.definition, "title": "PHQ-9 新措辞"}
    version.definition = changed
    QuestionnaireVersion.objects.filter(pk=version.pk).update(definition={**changed, "title": "x"})
    # The shipped file differs from the stored one now: installing again makes version 2.
    newer = phq9(org)
    assert newer.number == 2 and newer.pk != version.pk
    answer.refresh_from_db()
    assert answer.version_id == version.pk
    assert QuestionnaireVersion.objects.get(pk=version.pk).definition["title"] == "x"


def test_recording_an_answer_validates_scores_and_audits(org, nurse, patient):
    version = phq9(org)
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, SEVERE_WITH_ITEM_9))
    score = answer.scores["scores"][0]
    assert (score["total"], score["band"]["code"], score["band"]["zh"]) == (21, "severe", "重度抑郁")
    assert [f["code"] for f in answer.scores["flags"] if f["raised"]] == ["phq-9-item-9-suicide-risk"]
    assert answer.response["resourceType"] == "QuestionnaireResponse"
    assert answer.response["subject"] == {"reference": f"Patient/{patient.pk}"}
    entry = AuditEntry.objects.get(action="questionnaire.answer")
    assert (entry.patient_id, entry.actor_id, entry.object_id) == (patient.pk, nurse.pk, str(answer.pk))
    assert entry.detail["totals"] == [21]


def test_an_incomplete_answer_is_refused_with_the_missing_items(org, nurse, patient):
    version = phq9(org)
    with pytest.raises(InvalidAnswers) as refused:
        do_record_answer(nurse, patient, version, answers_scoring(version, (1, 1, 1)))
    assert [e.link_id for e in refused.value.errors] == ["4", "5", "6", "7", "8", "9"]
    assert not QuestionnaireAnswer.objects.exists()


def test_another_organizations_version_is_refused(org, other_org, nurse, patient):
    theirs = phq9(other_org)
    with pytest.raises(ValueError, match="another organization"):
        do_record_answer(nurse, patient, theirs, answers_scoring(theirs, (0,) * 9))


def test_the_form_of_another_organizations_questionnaire_or_patient_is_not_found(
    org, other_org, nurse, patient, logged_in
):
    ours, theirs = phq9(org), phq9(other_org)
    their_patient = make_patient(make_user(other_org, "doctor"), name="李四")
    client = logged_in(nurse)
    url = reverse("questionnaires:fill", args=[patient.pk, theirs.questionnaire.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, posted(theirs, (0,) * 9)).status_code == 404
    other = reverse("questionnaires:fill", args=[their_patient.pk, ours.questionnaire.pk])
    assert client.get(other).status_code == 404
    # A version of another questionnaire posted to ours is not found either.
    mine = reverse("questionnaires:fill", args=[patient.pk, ours.questionnaire.pk])
    assert client.post(mine, posted(theirs, (0,) * 9)).status_code == 404
    assert client.post(mine, {"version": "abc"}).status_code == 404
    assert not QuestionnaireAnswer.objects.exists()


def test_the_tab_lists_answers_newest_first_with_band_and_flag(org, nurse, patient, logged_in):
    version = phq9(org)
    do_record_answer(nurse, patient, version, answers_scoring(version, (0, 1, 0, 1, 0, 0, 0, 0, 0)))
    do_record_answer(nurse, patient, version, answers_scoring(version, SEVERE_WITH_ITEM_9))
    response = logged_in(nurse).get(reverse("patients:tab", args=[patient.pk, "questionnaires"]))
    html = response.content.decode()
    assert html.index("重度抑郁") < html.index("没有抑郁")
    assert html.count('class="answer-flag"') == 1
    assert "第 9 题" in html
    assert AuditEntry.objects.filter(action="patient.view", detail__section="questionnaires").exists()


def test_a_receptionist_cannot_fill_in_a_questionnaire(org, patient, logged_in):
    version = phq9(org)
    client = logged_in(make_user(org, "receptionist"))
    url = reverse("questionnaires:fill", args=[patient.pk, version.questionnaire.pk])
    assert client.get(url).status_code == 403


def test_the_form_saves_and_reports_total_and_band(org, nurse, patient, logged_in):
    version = phq9(org)
    url = reverse("questionnaires:fill", args=[patient.pk, version.questionnaire.pk])
    response = logged_in(nurse).post(url, posted(version, SEVERE_WITH_ITEM_9), follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:tab", args=[patient.pk, "questionnaires"])
    notices = [str(m) for m in response.context["messages"]]
    assert any("21" in n and "重度抑郁" in n for n in notices)
    assert QuestionnaireAnswer.objects.get().answered_by == nurse


def test_the_form_shows_each_error_by_its_item_and_keeps_the_answers(org, nurse, patient, logged_in):
    version = phq9(org)
    url = reverse("questionnaires:fill", args=[patient.pk, version.questionnaire.pk])
    data = posted(version, (2, 2))
    response = logged_in(nurse).post(url, data)
    assert response.status_code == 400
    rows = {row["item"].link_id: row for row in response.context["rows"]}
    assert rows["1"]["errors"] == [] and rows["1"]["raw"] == data["item-1"]
    assert rows["3"]["errors"] == ["此题必须回答。"]
    html = response.content.decode()
    assert f'name="item-1" value="{data["item-1"]}" checked' in html
    assert not QuestionnaireAnswer.objects.exists()


def test_an_english_item_disabled_by_the_answers_is_not_required(org, nurse, patient, logged_in):
    version = phq9(org, "en")  # item 10 (difficulty) is asked only when some answer is above 0
    url = reverse("questionnaires:fill", args=[patient.pk, version.questionnaire.pk])
    response = logged_in(nurse).post(url, posted(version, (0,) * 9))
    assert response.status_code == 302
    assert QuestionnaireAnswer.objects.get().scores["scores"][0]["total"] == 0


def test_the_install_command_installs_the_shipped_questionnaires_for_the_organization(org, other_org):
    out = StringIO()
    call_command("questionnaires", "install", "--organization", org.code, stdout=out)
    assert Questionnaire.objects.filter(organization=org).count() == len(SHIPPED)
    assert not Questionnaire.objects.filter(organization=other_org).exists()
    assert "phq-9 (zh) v1" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("questionnaires", "install", "--organization", "nowhere")


def test_the_tab_query_count_does_not_grow_with_answers(
    org, nurse, patient, logged_in, django_assert_max_num_queries
):
    version = phq9(org)
    client = logged_in(nurse)
    url = reverse("patients:tab", args=[patient.pk, "questionnaires"])
    do_record_answer(nurse, patient, version, answers_scoring(version, (0,) * 9))
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        do_record_answer(nurse, patient, version, answers_scoring(version, (1,) * 9))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="answer-row') == 6


def test_an_answer_shows_the_wording_of_the_version_it_answered(org, nurse, patient, logged_in):
    version = phq9(org)
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, SEVERE_WITH_ITEM_9))
    response = logged_in(nurse).get(reverse("questionnaires:answer", args=[patient.pk, answer.pk]))
    html = response.content.decode()
    assert "做事时提不起劲或没有兴趣" in html and "几乎每天" in html and "重度抑郁" in html
    assert AuditEntry.objects.filter(action="patient.view", detail__section="questionnaires.answer").exists()
