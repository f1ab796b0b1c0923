"""The PIPL consent ledger: append-only grants and withdrawals, guardians for minors, has_consent."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.patients.membership import actions, consents, guardianship
from careloop.patients.models import ConsentEvent, FamilyLink
from tests.factories import make_patient, make_user

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-panel"}


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


@pytest.fixture
def child(nurse):
    return make_patient(nurse, name="张小宝", birth_date=years_ago(10))


def grant(user, patient, purpose="care", **fields):
    return actions.do_record_consent(user, patient, ConsentEvent(purpose=purpose, granted=True, **fields))


def withdraw(user, patient, purpose="care", **fields):
    return actions.do_record_consent(user, patient, ConsentEvent(purpose=purpose, granted=False, **fields))


@pytest.mark.parametrize(
    ("age", "granted", "given_by", "name", "relationship", "problems"),
    [
        (40, True, "self", "", "", []),
        (14, True, "self", "", "", []),  # 14 is old enough (PIPL Art. 31: under 14)
        (13, True, "self", "", "", ["guardian_required"]),
        (0, True, "self", "", "", ["guardian_required"]),
        (13, True, "guardian", "张伟", "father", []),
        (13, True, "guardian", "", "father", ["guardian_name"]),
        (13, True, "guardian", "  ", "", ["guardian_name", "guardian_relationship"]),
        (
            40,
            True,
            "guardian",
            "张伟",
            "",
            ["guardian_relationship"],
        ),  # an adult's guardian is identified too
        (13, False, "self", "", "", []),  # a withdrawal is always accepted
        (13, False, "guardian", "", "", ["guardian_name", "guardian_relationship"]),
    ],
)
def test_who_may_give_consent(age, granted, given_by, name, relationship, problems):
    assert guardianship.giver_problems(age, granted, given_by, name, relationship) == problems


@pytest.mark.django_db
def test_has_consent_follows_the_newest_event(nurse, patient, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert consents.has_consent(patient, "care") is False  # never asked
    grant(nurse, patient)
    assert consents.has_consent(patient, "care") is True
    assert consents.has_consent(patient, "marketing") is False
    withdraw(nurse, patient)
    assert consents.has_consent(patient, "care") is False  # at once
    grant(nurse, patient)
    with django_assert_num_queries(1):
        assert consents.has_consent(patient.pk, "care") is True


@pytest.mark.django_db
def test_on_equal_times_the_later_entry_wins(nurse, patient):
    at = timezone.now()
    ConsentEvent.objects.create(patient=patient, purpose="research", granted=True, at=at)
    ConsentEvent.objects.create(patient=patient, purpose="research", granted=False, at=at)
    assert consents.has_consent(patient, "research") is False


@pytest.mark.django_db
def test_patients_with_consent_answers_for_a_set_in_one_query(nurse, django_assert_num_queries):
    yes, no, never = (make_patient(nurse, name=n) for n in ("甲", "乙", "丙"))
    grant(nurse, yes, "marketing")
    grant(nurse, no, "marketing")
    withdraw(nurse, no, "marketing")
    grant(nurse, never, "care")
    with django_assert_num_queries(1):
        assert consents.patients_with_consent([yes.pk, no.pk, never.pk], "marketing") == {yes.pk}


@pytest.mark.django_db
def test_the_ledger_is_append_only(nurse, patient):
    first = grant(nurse, patient)
    withdraw(nurse, patient)
    first_again = ConsentEvent.objects.get(pk=first.pk)
    assert first_again.granted is True and first_again.at == first.at
    assert ConsentEvent.objects.filter(patient=patient).count() == 2
    logged = AuditEntry.objects.filter(patient_id=patient.pk, action__startswith="consent.").order_by("id")
    assert list(logged.values_list("action", flat=True)) == ["consent.grant", "consent.withdraw"]


@pytest.mark.django_db
def test_a_grant_for_a_child_without_a_guardian_is_refused(nurse, child):
    with pytest.raises(actions.Refused, match="14") as refusal:
        grant(nurse, child, given_by="self")
    assert refusal.value.field == "given_by"
    with pytest.raises(actions.Refused):
        grant(nurse, child, given_by="guardian", guardian_relationship="mother")
    assert not ConsentEvent.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="consent.").exists()
    event = grant(nurse, child, given_by="guardian", guardian_name="李娟", guardian_relationship="mother")
    assert consents.has_consent(child, "care") and event.recorded_by == nurse


@pytest.mark.django_db
def test_the_self_givers_guardian_fields_are_dropped(nurse, patient):
    event = grant(nurse, patient, given_by="self", guardian_name="某人", guardian_relationship="father")
    assert (event.guardian_name, event.guardian_relationship) == ("", "")


# --- views ---------------------------------------------------------------------------------------


def post_consent(client, patient, **fields):
    data = {"purpose": "care", "decision": "grant", "given_by": "self", "method": "written", **fields}
    return client.post(reverse("patients:consent_record", args=[patient.pk]), data, **HTMX)


@pytest.mark.django_db
def test_the_form_refuses_a_childs_own_consent_with_a_clear_message(logged_in, nurse, child, settings):
    settings.LANGUAGE_CODE = "en"
    response = post_consent(logged_in(nurse), child)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Under 14" in body and "guardian" in body and 'class="error"' in body
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_a_guardian_on_file_fills_the_guardian_fields(logged_in, nurse, child):
    mother = actions.do_add_family_link(
        nurse, child, FamilyLink(related_name="李娟", relationship="mother", is_guardian=True)
    )
    client = logged_in(nurse)
    tab = client.get(reverse("patients:tab", args=[child.pk, "consent"]), **HTMX).content.decode()
    assert "needs-guardian" in tab and "李娟" in tab
    post_consent(client, child, given_by="guardian", guardian_link=mother.pk)
    event = ConsentEvent.objects.get(patient=child)
    assert (event.given_by, event.guardian_name, event.guardian_relationship) == (
        "guardian",
        "李娟",
        "mother",
    )


@pytest.mark.django_db
def test_withdrawing_in_the_tab_stops_consent_at_once(logged_in, receptionist, patient):
    client = logged_in(receptionist)
    post_consent(client, patient, purpose="marketing")
    assert consents.has_consent(patient, "marketing")
    response = post_consent(client, patient, purpose="marketing", decision="withdraw", method="verbal")
    assert consents.has_consent(patient, "marketing") is False
    body = response.content.decode()
    assert 'data-purpose="marketing" data-state="withdrawn"' in body
    assert 'data-purpose="care" data-state="never"' in body
    assert body.count("status granted") == 1 and body.count("status withdrawn") == 2  # state + ledger
    entry = AuditEntry.objects.filter(action="consent.withdraw").get()
    assert entry.actor_id == receptionist.pk and entry.detail["purpose"] == "marketing"


@pytest.mark.django_db
def test_a_plain_post_redirects_back_to_the_tab(logged_in, doctor, patient):
    data = {"purpose": "research", "decision": "grant", "given_by": "self", "method": "electronic"}
    response = logged_in(doctor).post(reverse("patients:consent_record", args=[patient.pk]), data)
    assert response.status_code == 302 and response["Location"].endswith("/tab/consent/")
    assert consents.has_consent(patient, "research")


@pytest.mark.django_db
def test_another_organizations_patient_is_not_found(logged_in, nurse, other_org):
    stranger = make_patient(make_user(other_org, "doctor"), name="外院病人")
    assert post_consent(logged_in(nurse), stranger).status_code == 404
    assert logged_in(nurse).get(reverse("patients:tab", args=[stranger.pk, "consent"])).status_code == 404
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_consent_tab_query_count_does_not_grow_with_the_ledger(logged_in, nurse, patient):
    client = logged_in(nurse)
    url = reverse("patients:tab", args=[patient.pk, "consent"])
    grant(nurse, patient)
    client.get(url, **HTMX)
    with CaptureQueriesContext(connection) as few:
        client.get(url, **HTMX)
    other = make_user(patient.organization, "receptionist")
    for purpose in ("care", "sensitive", "marketing", "research"):
        withdraw(other, patient, purpose)
        grant(nurse, patient, purpose)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, **HTMX)
    assert response.content.decode().count('class="status granted"') == 4 + 5
    assert len(many) == len(few) <= 14
