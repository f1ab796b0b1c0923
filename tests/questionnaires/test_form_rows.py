"""The answer form's rows, shared by the staff form and the builder's preview: a repeating choice is a set
of checkboxes, and each ticked option is one answer."""

import pytest
from django.urls import reverse

from careloop.questionnaires.managing import do_create_questionnaire, do_publish
from careloop.questionnaires.models import QuestionnaireAnswer

pytestmark = pytest.mark.django_db

SYMPTOMS = {
    "resourceType": "Questionnaire",
    "title": "出院症状",
    "status": "active",
    "item": [
        {
            "linkId": "symptoms",
            "text": "有哪些症状?",
            "type": "choice",
            "repeats": True,
            "answerOption": [{"valueString": "发热"}, {"valueString": "咳嗽"}, {"valueString": "胸痛"}],
        },
        {"linkId": "note", "text": "其他", "type": "string"},
    ],
}


def test_a_repeating_choice_is_answered_with_several_ticks(client, admin_user, nurse, patient):
    questionnaire = do_create_questionnaire(admin_user, "symptoms", "zh", "出院症状")
    version, _outcome = do_publish(admin_user, questionnaire, SYMPTOMS)
    client.force_login(nurse)
    url = reverse("questionnaires:fill", args=[patient.pk, questionnaire.pk])
    page = client.get(url).content.decode()
    assert page.count('type="checkbox" name="item-symptoms"') == 3
    client.post(url, {"version": str(version.pk), "item-symptoms": ["0", "2"]})
    answer = QuestionnaireAnswer.objects.get()
    assert answer.response["item"][0]["answer"] == [{"valueString": "发热"}, {"valueString": "胸痛"}]


def test_the_preview_keeps_the_ticks_it_was_given(client, admin_user):
    questionnaire = do_create_questionnaire(admin_user, "symptoms", "zh", "出院症状")
    do_publish(admin_user, questionnaire, SYMPTOMS)
    client.force_login(admin_user)
    url = reverse("questionnaires:preview", args=[questionnaire.pk])
    page = client.post(url, {"item-symptoms": ["1", "2"]}, HTTP_HX_REQUEST="true").content.decode()
    assert page.count(" checked>") == 2
