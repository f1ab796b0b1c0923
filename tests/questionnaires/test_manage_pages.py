"""The administrator's questionnaire list: who may open it, creating, retiring, the organization tab."""

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.accounts.roles import Perm, Role, role_allows
from careloop.questionnaires.actions import do_install_shipped, do_record_answer
from careloop.questionnaires.models import Questionnaire
from tests.factories import make_organization, make_user
from tests.questionnaires.test_answers import answers_scoring, phq9

pytestmark = pytest.mark.django_db


def test_only_the_administrator_manages_questionnaires():
    assert [role for role in Role if role_allows(role, Perm.QUESTIONNAIRE_MANAGE)] == [Role.ADMIN]


@pytest.mark.parametrize("role", ["nurse", "doctor", "receptionist", "auditor"])
def test_other_roles_are_refused_every_management_page(client, org, role):
    client.force_login(make_user(org, role))
    questionnaire = phq9(org).questionnaire
    for name, args in [
        ("questionnaires:manage", []),
        ("questionnaires:import", []),
        ("questionnaires:builder", [questionnaire.pk]),
        ("questionnaires:export_csv", [questionnaire.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert (
        client.post(
            reverse("questionnaires:status", args=[questionnaire.pk]), {"status": "retired"}
        ).status_code
        == 403
    )
    assert Questionnaire.objects.get(pk=questionnaire.pk).status == "active"


def test_another_organizations_questionnaire_is_not_found(client, admin_user):
    theirs = phq9(make_organization("别家")).questionnaire
    client.force_login(admin_user)
    for name in ("questionnaires:builder", "questionnaires:export_csv", "questionnaires:export_ndjson"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("questionnaires:status", args=[theirs.pk]), {"status": "retired"}).status_code
        == 404
    )
    assert client.post(reverse("questionnaires:publish", args=[theirs.pk])).status_code == 404


def test_the_list_shows_each_questionnaire_with_its_version_and_answers(
    client, org, admin_user, nurse, patient
):
    version = phq9(org)
    do_record_answer(nurse, patient, version, answers_scoring(version, (1,) * 9))
    do_record_answer(nurse, patient, version, answers_scoring(version, (0,) * 9))
    client.force_login(admin_user)
    page = client.get(reverse("questionnaires:manage")).content.decode()
    row = page.split(f'id="questionnaire-{version.questionnaire_id}"')[1].split("</tr>")[0]
    assert "phq-9" in row and '<td class="num">1</td>' in row and '<td class="num">2</td>' in row
    assert 'id="tab-questionnaires"' in page  # the organization area's tab


def test_the_list_costs_the_same_queries_for_many_questionnaires(
    client, org, admin_user, django_assert_max_num_queries
):
    do_install_shipped(org)
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("questionnaires:manage")).status_code == 200


def test_creating_a_questionnaire_keeps_it_out_of_use_until_published(client, org, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("questionnaires:manage"), {"title": "出院随访", "key": "discharge", "language": "zh"}
    )
    questionnaire = Questionnaire.objects.get(organization=org, key="discharge")
    assert response.url == reverse("questionnaires:builder", args=[questionnaire.pk])
    assert questionnaire.status == "retired" and not questionnaire.versions.exists()
    entry = AuditEntry.objects.get(action="questionnaire.create")
    assert entry.object_id == str(questionnaire.pk) and entry.actor == admin_user
    # Putting it in use before it has a version is refused.
    client.post(reverse("questionnaires:status", args=[questionnaire.pk]), {"status": "active"})
    assert Questionnaire.objects.get(pk=questionnaire.pk).status == "retired"


def test_a_key_is_used_once_per_language(client, org, admin_user):
    phq9(org)
    client.force_login(admin_user)
    response = client.post(reverse("questionnaires:manage"), {"title": "x", "key": "phq-9", "language": "zh"})
    assert response.status_code == 400
    assert Questionnaire.objects.filter(organization=org, key="phq-9").count() == 2  # zh and en, installed


def test_retiring_and_reactivating_are_audited_and_keep_the_answers(client, org, admin_user, nurse, patient):
    version = phq9(org)
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, (0,) * 9))
    client.force_login(admin_user)
    url = reverse("questionnaires:status", args=[version.questionnaire_id])
    client.post(url, {"status": "retired"})
    assert Questionnaire.objects.get(pk=version.questionnaire_id).status == "retired"
    # Staff are no longer offered it on the patient page.
    tab = client.get(reverse("patients:tab", args=[patient.pk, "questionnaires"])).content.decode()
    assert f"/fill/{version.questionnaire_id}/" not in tab
    client.post(url, {"status": "active"})
    assert Questionnaire.objects.get(pk=version.questionnaire_id).status == "active"
    actions = list(
        AuditEntry.objects.filter(action__startswith="questionnaire.r")
        .order_by("id")
        .values_list("action", "detail")
    )
    assert [a for a, _ in actions] == ["questionnaire.retire", "questionnaire.reactivate"]
    assert actions[0][1]["status"] == ["active", "retired"]
    answer.refresh_from_db()
    assert answer.version_id == version.pk


def test_the_organization_link_leads_an_administrator_to_a_page_they_may_use(client, org):
    client.force_login(make_user(org, "admin"))
    assert client.get(reverse("staff:index")).status_code == 302
