"""The builder page: edits to the draft, problems next to their item, the preview, publishing versions."""

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.questionnaires.actions import do_record_answer
from careloop.questionnaires.managing import do_create_questionnaire, do_publish
from careloop.questionnaires.models import QuestionnaireVersion
from tests.questionnaires.test_answers import answers_scoring, phq9

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_questionnaire(admin_user):
    return do_create_questionnaire(admin_user, "check", "zh", "出院随访")


def url(name, questionnaire, *args):
    return reverse(f"questionnaires:{name}", args=[questionnaire.pk, *args])


def step(client, questionnaire, **data):
    response = client.post(url("builder", questionnaire), data)
    assert response.status_code == 302
    return response


def build_smoker_questionnaire(client, questionnaire):
    """Two questions: "Do you smoke?" and, only for smokers, "How many a day?" (1 to 100)."""
    step(client, questionnaire, op="add", type="boolean")
    step(client, questionnaire, op="add", type="integer")
    step(client, questionnaire, op="save_item", item="1", link_id="smoker", type="boolean", text="吸烟吗?")
    step(
        client,
        questionnaire,
        op="save_item",
        item="2",
        link_id="per-day",
        type="integer",
        text="每天几支?",
        required="on",
        min_value="1",
        max_value="100",
        when_question=["smoker", ""],
        when_operator=["=", "="],
        when_answer=["true", ""],
    )


def test_an_admin_builds_previews_and_publishes_a_first_version(client, admin_user, new_questionnaire):
    client.force_login(admin_user)
    page = client.get(url("builder", new_questionnaire)).content.decode()
    assert 'id="no-items"' in page and "add at least one item" in page
    build_smoker_questionnaire(client, new_questionnaire)
    page = client.get(url("builder", new_questionnaire)).content.decode()
    assert 'id="item-per-day"' in page and 'id="ready"' in page and 'id="draft-badge"' in page
    assert 'id="q-per-day"' in page  # the preview shows the question, with the staff form's rows
    assert not QuestionnaireVersion.objects.filter(questionnaire=new_questionnaire).exists()  # still a draft

    client.post(url("publish", new_questionnaire))
    version = QuestionnaireVersion.objects.get(questionnaire=new_questionnaire)
    assert version.number == 1
    assert version.parsed.item("per-day").enable_when[0].question == "smoker"
    new_questionnaire.refresh_from_db()
    assert new_questionnaire.status == "active"
    entry = AuditEntry.objects.get(action="questionnaire.publish")
    assert entry.detail["version"] == 1 and entry.detail["outcome"] == "new"
    assert 'id="draft-badge"' not in client.get(url("builder", new_questionnaire)).content.decode()


def test_the_preview_applies_conditions_to_the_answers_tried_in_it(client, admin_user, new_questionnaire):
    client.force_login(admin_user)
    build_smoker_questionnaire(client, new_questionnaire)
    hidden = client.post(url("preview", new_questionnaire), {"item-smoker": "no"}, HTTP_HX_REQUEST="true")
    shown = client.post(url("preview", new_questionnaire), {"item-smoker": "yes"}, HTTP_HX_REQUEST="true")
    assert 'id="q-per-day"' in hidden.content.decode().split("q-disabled")[1][:200]
    assert "q-disabled" not in shown.content.decode()
    assert client.get(url("preview", new_questionnaire)).status_code == 200


def test_problems_are_shown_next_to_the_item_they_name(client, admin_user, new_questionnaire):
    client.force_login(admin_user)
    step(client, new_questionnaire, op="add", type="choice")  # a choice without options
    page = client.get(url("builder", new_questionnaire)).content.decode()
    item = page.split('id="item-1"')[1].split("</details>")[0]
    assert "a choice item needs answerOption entries" in item
    assert 'id="problem-count"' in page
    # Publishing is refused while there are problems: nothing is stored.
    client.post(url("publish", new_questionnaire))
    assert not QuestionnaireVersion.objects.filter(questionnaire=new_questionnaire).exists()


def test_a_refused_edit_says_why_and_keeps_the_draft(client, admin_user, new_questionnaire):
    client.force_login(admin_user)
    step(client, new_questionnaire, op="add", type="integer")
    response = client.post(
        url("builder", new_questionnaire),
        {"op": "save_item", "item": "1", "link_id": "1", "type": "integer", "min_value": "many"},
        follow=True,
    )
    assert "is not a whole number" in response.content.decode()
    assert client.post(url("builder", new_questionnaire), {"op": "nonsense"}).status_code == 302


def test_items_move_nest_and_are_deleted(client, admin_user, new_questionnaire):
    client.force_login(admin_user)
    step(client, new_questionnaire, op="add", type="group")  # 1 holding 2
    step(client, new_questionnaire, op="add", type="string")  # 3
    step(client, new_questionnaire, op="add", type="date", parent="1")  # 4, in the group
    step(client, new_questionnaire, op="nest", item="3")
    step(client, new_questionnaire, op="up", item="3")
    step(client, new_questionnaire, op="unnest", item="2")
    step(client, new_questionnaire, op="delete", item="4")
    step(client, new_questionnaire, op="save_root", title="新标题", description="", status="active")
    client.post(url("publish", new_questionnaire))
    definition = QuestionnaireVersion.objects.get(questionnaire=new_questionnaire).definition
    assert [(i["linkId"], [c["linkId"] for c in i.get("item", [])]) for i in definition["item"]] == [
        ("1", ["3"]),
        ("2", []),
    ]
    new_questionnaire.refresh_from_db()
    assert new_questionnaire.title == "新标题" and definition["status"] == "active"


def test_scoring_rules_are_edited_with_bands_and_flags(client, admin_user, new_questionnaire):
    client.force_login(admin_user)
    step(client, new_questionnaire, op="add", type="choice")
    options = {"option_code": ["0", "1"], "option_display": ["否", "是"], "option_score": ["0", "3"]}
    step(
        client,
        new_questionnaire,
        op="save_item",
        item="1",
        link_id="1",
        type="choice",
        text="胸痛?",
        **options,
    )
    step(
        client,
        new_questionnaire,
        op="save_scoring",
        score_count="1",
        flag_count="1",
        **{
            "score-0-code": "risk",
            "score-0-items": ["1"],
            "score-0-band_min": ["0", "1"],
            "score-0-band_max": ["0", "3"],
            "score-0-band_code": ["low", "high"],
            "score-0-band_en": ["low", "high"],
            "score-0-band_zh": ["低", "高"],
            "score-0-band_sex": ["", ""],
            "score-0-band_policy": ["", ""],
            "flag-0-code": "chest-pain",
            "flag-0-en": "Chest pain",
            "flag-0-zh": "胸痛",
            "flag-0-item": ["1"],
            "flag-0-operator": [">="],
            "flag-0-score": ["3"],
        },
    )
    page = client.get(url("builder", new_questionnaire)).content.decode()
    assert 'value="高"' in page and 'id="ready"' in page
    client.post(url("publish", new_questionnaire))
    rules = QuestionnaireVersion.objects.get(questionnaire=new_questionnaire).parsed.scoring
    assert rules is not None
    assert [(b.code, b.zh) for b in rules.scores[0].bands] == [("low", "低"), ("high", "高")]
    assert rules.flags[0].when[0].score == 3


def test_publishing_over_answers_makes_a_new_version_and_old_answers_keep_theirs(
    client, org, admin_user, nurse, patient
):
    version = phq9(org)
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, (1,) * 9))
    client.force_login(admin_user)
    questionnaire = version.questionnaire
    step(client, questionnaire, op="save_root", title="PHQ-9 新版", description="", status="draft")
    client.post(url("publish", questionnaire))
    versions = list(questionnaire.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    answer.refresh_from_db()
    assert answer.version_id == version.pk and answer.version.definition == version.definition
    assert versions[1].definition["title"] == "PHQ-9 新版"
    # A version nobody has answered yet is changed in place.
    step(client, questionnaire, op="save_root", title="PHQ-9 再改", description="", status="draft")
    client.post(url("publish", questionnaire))
    assert [v.number for v in questionnaire.versions.order_by("number")] == [1, 2]
    assert questionnaire.versions.get(number=2).definition["title"] == "PHQ-9 再改"
    outcomes = AuditEntry.objects.filter(action="questionnaire.publish").order_by("id")
    assert [e.detail["outcome"] for e in outcomes] == ["new", "replaced"]


def test_publishing_an_unchanged_draft_stores_nothing(client, org, admin_user):
    version = phq9(org)
    client.force_login(admin_user)
    client.post(url("publish", version.questionnaire))
    assert version.questionnaire.versions.count() == 1
    assert not AuditEntry.objects.filter(action="questionnaire.publish").exists()


def test_a_draft_started_before_someone_elses_publish_is_not_published_over_it(
    client, org, admin_user, nurse, patient
):
    version = phq9(org)
    questionnaire = version.questionnaire
    client.force_login(admin_user)
    step(client, questionnaire, op="save_root", title="我的草稿", description="", status="draft")
    changed = {**version.definition, "title": "别人发布的"}
    do_publish(nurse, questionnaire, changed)  # meanwhile, in another session
    response = client.post(url("publish", questionnaire), follow=True)
    assert "请放弃您的草稿" in response.content.decode()  # "Discard your draft"
    assert questionnaire.versions.get().definition["title"] == "别人发布的"
    client.post(url("discard", questionnaire))
    assert "别人发布的" in client.get(url("builder", questionnaire)).content.decode()


def test_the_scoring_form_keeps_which_bands_and_flags_alert():
    from django.http import QueryDict

    from careloop.questionnaires.builder_forms import read_scoring_edit

    data = QueryDict(mutable=True)
    data.update(
        {
            "score_count": "1",
            "flag_count": "1",
            "score-0-code": "t",
            "flag-0-code": "f",
            "flag-0-alert": "urgent",
        }
    )
    data.setlist("score-0-items", ["1"])
    for key, value in {
        "min": "0",
        "max": "4",
        "code": "low",
        "en": "low",
        "zh": "",
        "sex": "",
        "policy": "",
        "alert": "",
    }.items():
        data.appendlist(f"score-0-band_{key}", value)
    for key, value in {
        "min": "5",
        "max": "9",
        "code": "high",
        "en": "high",
        "zh": "",
        "sex": "",
        "policy": "",
        "alert": "high",
    }.items():
        data.appendlist(f"score-0-band_{key}", value)
    data.setlist("flag-0-item", ["1"])
    data.setlist("flag-0-operator", [">="])
    data.setlist("flag-0-score", ["1"])
    [score], [flag] = read_scoring_edit(data)
    assert [band.alert for band in score.bands] == ["", "high"] and flag.alert == "urgent"
