"""Questionnaire links: sent by staff, answered once on a phone without a login, partial answers kept."""

import datetime

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.patients.actions import do_tag_patient
from careloop.patients.models import Tag
from careloop.questionnaires.invitations import (
    MAX_DRAFT_TEXT,
    LinkClosed,
    do_answer_link,
    do_save_draft,
    do_send_links,
    do_withdraw_link,
    find_invitation,
    token_digest,
)
from careloop.questionnaires.models import QuestionnaireAnswer, QuestionnaireInvitation
from tests.factories import make_patient, make_user
from tests.questionnaires.test_answers import answers_scoring, phq9, posted


@pytest.fixture
def link(org, nurse, patient):
    [sent] = do_send_links(nurse, [patient], phq9(org), days=7)
    return sent


def test_a_link_is_kept_by_keyed_digest_and_encrypted_token_and_audited_without_it(link, patient):
    stored = QuestionnaireInvitation.objects.get()
    assert stored.token_digest == token_digest(link.token) != link.token
    assert stored.token == link.token  # read back decrypted, for staff to show again
    assert len(link.token) == 22
    entry = AuditEntry.objects.get(action="questionnaire.link_send")
    assert entry.patient_id == patient.pk and link.token not in str(entry.detail)
    assert find_invitation(link.token) == stored
    assert find_invitation(link.token[:-1] + ("A" if link.token[-1] != "A" else "B")) is None


def test_the_patient_answers_once_without_logging_in(client, org, link, patient):
    version = link.invitation.version
    url = f"/q/{link.token}/"
    page = client.get(url)
    assert page.status_code == 200 and "PHQ-9" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    assert 'name="robots" content="noindex' in page.content.decode()
    response = client.post(url, posted(version, (1, 1, 0, 0, 0, 0, 0, 0, 0)))
    assert response.status_code == 302 and response["Location"] == f"/q/{link.token}/done/"
    answer = QuestionnaireAnswer.objects.get()
    assert answer.channel == "link" and answer.patient == patient and answer.answered_by is None
    assert answer.scores["scores"][0]["total"] == 2
    invitation = QuestionnaireInvitation.objects.get()
    assert invitation.answer == answer and invitation.completed_at and invitation.draft == {}
    assert client.get(f"/q/{link.token}/done/").status_code == 200
    again = client.get(url)
    assert again.status_code == 410 and 'data-state="answered"' in again.content.decode()
    twice = client.post(url, posted(version, (1,) * 9))
    assert twice.status_code == 410 and QuestionnaireAnswer.objects.count() == 1


def test_a_missing_answer_is_marked_and_what_was_typed_is_kept(client, link):
    version = link.invitation.version
    data = posted(version, (2, 2, 2))
    response = client.post(f"/q/{link.token}/", data)
    assert response.status_code == 400
    assert "form-alert" in response.content.decode()
    invitation = QuestionnaireInvitation.objects.get()
    assert len(invitation.draft) == 3 and invitation.completed_at is None
    reopened = client.get(f"/q/{link.token}/").content.decode()
    assert reopened.count("checked") == 3


def test_partial_answers_are_saved_and_the_reply_says_which_items_apply(client, org, nurse, patient):
    [link] = do_send_links(nurse, [patient], phq9(org, "en"))
    version = link.invitation.version
    data = posted(version, (0,) * 9)
    data["item-nonsense"] = "x" * 10
    reply = client.post(f"/q/{link.token}/save/", data)
    assert reply.status_code == 200
    body = reply.json()
    assert body["state"] == "open" and "1" in body["enabled"]
    # PHQ-9 item 10 (difficulty) is asked only when a problem was ticked: all zero, so it is not.
    assert "10" not in body["enabled"]
    some = client.post(f"/q/{link.token}/save/", posted(version, (1,) + (0,) * 8)).json()
    assert "10" in some["enabled"]
    invitation = QuestionnaireInvitation.objects.get()
    assert set(invitation.draft) == {str(n) for n in range(1, 10)} and invitation.draft_saved_at


def test_a_draft_keeps_only_the_questionnaires_items_and_bounds_their_text(link):
    do_save_draft(link.invitation, QueryDict("item-1=0&item-zzz=1&other=2&item-2=" + "x" * 6000))
    assert link.invitation.draft == {"1": "0", "2": "x" * MAX_DRAFT_TEXT}


def test_expired_withdrawn_and_unknown_links_say_so(client, nurse, link):
    QuestionnaireInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expired = client.get(f"/q/{link.token}/")
    assert expired.status_code == 410 and 'data-state="expired"' in expired.content.decode()
    assert client.post(f"/q/{link.token}/save/", {}).status_code == 410
    with pytest.raises(LinkClosed):
        do_answer_link(link.invitation, {})
    QuestionnaireInvitation.objects.update(expires_at=timezone.now() + datetime.timedelta(days=1))
    do_withdraw_link(nurse, QuestionnaireInvitation.objects.get())
    withdrawn = client.get(f"/q/{link.token}/")
    assert withdrawn.status_code == 410 and 'data-state="withdrawn"' in withdrawn.content.decode()
    assert AuditEntry.objects.filter(action="questionnaire.link_withdraw").count() == 1
    unknown = client.get("/q/notARealTokenAtAll12345/")
    assert unknown.status_code == 404 and 'data-state="unknown"' in unknown.content.decode()
    assert client.post("/q/notARealTokenAtAll12345/save/", {}).status_code == 404


def test_the_link_page_speaks_the_questionnaires_language(client, org, nurse, patient):
    [english] = do_send_links(nurse, [patient], phq9(org, "en"))
    page = client.get(f"/q/{english.token}/").content.decode()
    assert '<html lang="en">' in page and "Submit answers" in page
    [chinese] = do_send_links(nurse, [patient], phq9(org, "zh"))
    assert '<html lang="zh-hans">' in client.get(f"/q/{chinese.token}/").content.decode()


def test_a_link_lasts_between_one_and_thirty_days(org, nurse, patient):
    with pytest.raises(ValueError, match="1 to 30"):
        do_send_links(nurse, [patient], phq9(org), days=31)


def test_staff_send_a_link_from_the_patient_page_and_see_it_again(client, org, nurse, patient):
    version = phq9(org)
    client.force_login(nurse)
    form = client.get(reverse("questionnaires:send_link", args=[patient.pk]))
    assert form.status_code == 200
    response = client.post(
        reverse("questionnaires:send_link", args=[patient.pk]),
        {"questionnaire": version.questionnaire_id, "days": 3},
    )
    invitation = QuestionnaireInvitation.objects.get()
    assert response["Location"] == reverse("questionnaires:link", args=[patient.pk, invitation.pk])
    detail = client.get(response["Location"]).content.decode()
    assert f"/q/{invitation.token}/" in detail and "<svg" in detail
    tab = client.get(reverse("patients:tab", args=[patient.pk, "questionnaires"])).content.decode()
    assert 'id="questionnaire-links"' in tab and 'data-state="open"' in tab
    client.post(reverse("questionnaires:withdraw_link", args=[patient.pk, invitation.pk]))
    after = client.get(reverse("questionnaires:link", args=[patient.pk, invitation.pk])).content.decode()
    assert f"/q/{invitation.token}/" not in after and 'data-state="withdrawn"' in after


def test_a_receptionist_cannot_send_and_another_organization_sees_nothing(
    client, org, other_org, link, patient
):
    client.force_login(make_user(org, role="receptionist"))
    assert client.get(reverse("questionnaires:send_link", args=[patient.pk])).status_code == 403
    client.force_login(make_user(other_org, role="nurse"))
    assert client.get(reverse("questionnaires:send_link", args=[patient.pk])).status_code == 404
    detail = reverse("questionnaires:link", args=[patient.pk, link.invitation.pk])
    assert client.get(detail).status_code == 404
    withdraw = reverse("questionnaires:withdraw_link", args=[patient.pk, link.invitation.pk])
    assert client.post(withdraw).status_code == 404


def test_sending_to_a_tag_gives_each_tagged_patient_a_link(client, org, nurse, patient):
    version = phq9(org)
    tag = Tag.objects.create(organization=org, name="高血压")
    others = [make_patient(nurse, name=f"病人{i}") for i in range(3)]
    for someone in [patient, *others[:2]]:
        do_tag_patient(nurse, someone, tag)
    client.force_login(nurse)
    page = client.post(
        reverse("questionnaires:send_to_tag"),
        {"tag": tag.pk, "questionnaire": version.questionnaire_id, "days": 7},
    )
    assert page.status_code == 200
    invited = set(QuestionnaireInvitation.objects.values_list("patient_id", flat=True))
    assert invited == {patient.pk, others[0].pk, others[1].pk}
    assert page.content.decode().count("/q/") == 3
    empty = Tag.objects.create(organization=org, name="空")
    refused = client.post(
        reverse("questionnaires:send_to_tag"),
        {"tag": empty.pk, "questionnaire": version.questionnaire_id, "days": 7},
    )
    assert refused.status_code == 400 and QuestionnaireInvitation.objects.count() == 3


def test_the_tab_charts_scores_over_time_in_one_line_for_both_languages(client, org, nurse, patient):
    from careloop.questionnaires.actions import do_record_answer

    for language, scores in (("zh", (1,) * 9), ("en", (2,) * 9)):
        version = phq9(org, language)
        answers = answers_scoring(version, scores)
        if language == "en":  # the difficulty item, asked once a problem is ticked; not scored
            [difficulty] = [item for item, _ in version.parsed.walk() if item.link_id == "10"]
            answers["10"] = [difficulty.answer_options[0].value]
        do_record_answer(nurse, patient, version, answers)
    client.force_login(nurse)
    tab = client.get(reverse("patients:tab", args=[patient.pk, "questionnaires"]))
    history = tab.context["score_history"]
    assert len(history) == 1 and [p["v"] for p in history[0]["points"]] == [9, 18]
    assert history[0]["bands"][-1] == {"min": 20, "max": 27, "label": "重度抑郁"}
    assert 'id="score-data"' in tab.content.decode()


def test_the_patient_reads_a_crossed_limit_in_the_questionnaires_language():
    from django.utils import translation

    from careloop.questionnaires.forms import reader_message
    from careloop.questionnaires.responses import AnswerError

    with translation.override("zh-hans"):
        assert (
            reader_message(AnswerError("t", "46 is above the maximum 45.5", "above_max", 45.5))
            == "请填写 45.5 或更小的数。"
        )
    with translation.override("en"):
        assert (
            reader_message(AnswerError("t", "is 11 characters long", "too_long", 10))
            == "Use at most 10 characters."
        )
        assert (
            reader_message(AnswerError("t", "a dateTime answer needs a time zone"))
            == "a dateTime answer needs a time zone"
        )


def test_the_patient_list_filtered_by_a_tag_offers_to_send_them_a_questionnaire(client, org, nurse, patient):
    phq9(org)
    tag = Tag.objects.create(organization=org, name="糖尿病")
    do_tag_patient(nurse, patient, tag)
    client.force_login(nurse)
    results = client.post(
        reverse("patients:list"), {"tag": tag.pk}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-results"
    ).content.decode()
    assert f"/questionnaires/send/?tag={tag.pk}" in results
    form = client.get(reverse("questionnaires:send_to_tag"), {"tag": tag.pk}).content.decode()
    assert f'<option value="{tag.pk}" selected>' in form


def test_the_patient_may_answer_in_the_other_language_keeping_what_was_typed(client, org, nurse, patient):
    [link] = do_send_links(nurse, [patient], phq9(org, "zh"))
    english = phq9(org, "en")
    client.post(f"/q/{link.token}/save/", posted(link.invitation.version, (1, 2)))
    page = client.get(f"/q/{link.token}/").content.decode()
    assert 'id="answer-in-en"' in page and 'id="answer-in-zh"' not in page
    switched = client.post(f"/q/{link.token}/", {"language": "en"})
    assert switched.status_code == 302
    invitation = QuestionnaireInvitation.objects.get()
    assert invitation.version == english and invitation.draft == {"1": "1", "2": "2"}
    page = client.get(f"/q/{link.token}/").content.decode()
    assert '<html lang="en">' in page and page.count(" checked>") == 2 and 'id="answer-in-zh"' in page
    assert client.post(f"/q/{link.token}/", {"language": "fr"}).status_code == 302
    assert QuestionnaireInvitation.objects.get().version == english
