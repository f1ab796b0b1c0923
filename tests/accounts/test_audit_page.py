"""The audit page reads in words: who (name, role), what, which patient, when, from where; it filters by
patient name, action in words, user and date; a constant number of queries; the chain check, checkpoints."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.audit_views import AuditRow
from careloop.accounts.models import AuditEntry
from careloop.patients.actions import do_save_record_item
from careloop.patients.models import Condition
from tests.accounts.auditing import ENTRIES, seal, seals_of, tamper
from tests.factories import make_organization, make_patient, make_user


@pytest.fixture
def en_client():
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def seen(org, doctor, nurse):
    """张三 opened by the nurse, 李四 by the doctor, each registered by the doctor."""
    first, second = make_patient(doctor, name="张三"), make_patient(doctor, name="李四")
    for user, patient in [(nurse, first), (doctor, second)]:
        client = Client()
        client.force_login(user)
        client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="192.0.2.44")
    return first, second


def filtered(client: Client, filters: dict[str, object]):
    """The page after posting `filters`: they are kept under a token, and the page is `?s=<token>`."""
    response = client.post(reverse("accounts:audit"), filters, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].startswith(
        reverse("accounts:audit") + "?s="
    )
    return response


def rows(response) -> list[AuditRow]:
    assert response.status_code == 200
    return list(response.context["rows"])


@pytest.mark.django_db
def test_the_page_says_who_what_and_which_patient_in_words(en_client, auditor, nurse, seen):
    first, _second = seen
    en_client.force_login(auditor)
    page = en_client.get(reverse("accounts:audit"))
    view = next(
        row for row in rows(page) if row.entry.action == "patient.view" and row.entry.actor_id == nurse.pk
    )
    assert (view.who, view.role, view.what, view.patient_name) == (
        "王护士",
        "Nurse / health manager",
        "Opened a patient's record",
        "张三",
    )
    html = page.content.decode()
    assert "张三" in html  # the reviewer reads the name, but may not open the record: no link to it
    assert reverse("patients:detail", args=[first.pk]) not in html
    assert "192.0.2.44" in html
    assert "Registered a patient" in html and "李医生" in html


@pytest.mark.django_db
def test_a_code_nobody_has_worded_and_a_patient_not_in_the_organization_still_read(
    en_client, auditor, org, other_org
):
    elsewhere = make_patient(make_user(other_org, "doctor"), name="外院病人")
    audit.record("staff.role_change", organization_id=org.pk, patient_id=elsewhere.pk)
    en_client.force_login(auditor)
    html = en_client.get(reverse("accounts:audit")).content.decode()
    assert "Staff: role change" in html
    assert f"Patient {elsewhere.pk} (no longer registered)" in html
    assert "外院病人" not in html  # names are looked up in the viewer's organization only


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["张三", "张", "zs", "zhangsan"])
def test_filter_by_patient_name_or_pinyin(en_client, auditor, seen, typed):
    first, _second = seen
    en_client.force_login(auditor)
    found = rows(filtered(en_client, {"patient": typed}))
    assert {row.entry.action for row in found} == {"patient.create", "patient.view"}
    assert {row.entry.patient_id for row in found} == {first.pk}


@pytest.mark.django_db
def test_an_identifier_typed_as_the_patient_is_searched_and_never_reaches_a_url(en_client, auditor, seen):
    first, _second = seen
    en_client.force_login(auditor)
    response = filtered(en_client, {"patient": first.id_number})
    assert {row.entry.patient_id for row in rows(response)} == {first.pk}
    url = response.redirect_chain[-1][0]
    assert first.id_number not in url
    assert first.id_number not in str(dict(en_client.session))  # kept encrypted


@pytest.mark.django_db
def test_a_filter_token_of_another_session_reads_as_expired(en_client, auditor, seen):
    en_client.force_login(auditor)
    url = filtered(en_client, {"patient": "张三"}).redirect_chain[-1][0]
    other = Client(headers={"Accept-Language": "en"})
    other.force_login(auditor)
    page = other.get(url)
    assert "That search is no longer kept" in page.content.decode()
    assert len(rows(page)) == AuditEntry.objects.filter(organization_id=auditor.organization_id).count()


@pytest.mark.django_db
def test_filter_by_action_chosen_in_words(en_client, auditor, doctor, seen):
    first, _second = seen
    do_save_record_item(doctor, first, Condition(icd10_code="I10", name="高血压"), None)
    en_client.force_login(auditor)
    form = en_client.get(reverse("accounts:audit")).context["form"]
    choices = dict(form.fields["action"].choices)
    assert choices["patient.view"] == "Opened a patient's record"
    assert choices["record.*.create"] == "Health record: added an item"
    views = rows(filtered(en_client, {"action": "patient.view"}))
    assert {row.entry.action for row in views} == {"patient.view"} and len(views) == 2
    added = rows(filtered(en_client, {"action": "record.*.create"}))
    assert [(row.entry.action, row.what) for row in added] == [
        ("record.condition.create", "Health record: condition added")
    ]


@pytest.mark.django_db
def test_filter_by_user(en_client, auditor, nurse, seen):
    first, _second = seen
    en_client.force_login(auditor)
    found = rows(filtered(en_client, {"user": nurse.pk}))
    assert [(row.entry.actor_id, row.entry.action, row.entry.patient_id) for row in found] == [
        (nurse.pk, "patient.view", first.pk)
    ]


@pytest.mark.django_db
def test_filter_by_date(en_client, auditor, seen):
    first, _second = seen
    old = AuditEntry.objects.filter(patient_id=first.pk, action="patient.create").get()
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    tamper(f"UPDATE {ENTRIES} SET at = %s WHERE id = %s", [ten_days_ago, old.pk])
    en_client.force_login(auditor)
    day = timezone.localtime(ten_days_ago).date()
    that_day = rows(filtered(en_client, {"since": day, "until": day}))
    assert [row.entry.pk for row in that_day] == [old.pk]
    recent = rows(filtered(en_client, {"since": timezone.localdate()}))
    assert old.pk not in {row.entry.pk for row in recent}
    assert len(recent) == AuditEntry.objects.filter(organization_id=first.organization_id).count() - 1


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_a_few_entries_or_a_full_page(
    en_client, auditor, org, django_assert_num_queries
):
    doctor = make_user(org, "doctor", display_name="医生甲")
    make_patient(doctor, name="病人零")
    en_client.force_login(auditor)
    en_client.get(reverse("accounts:audit"))  # the session's refresh is not the page's cost
    with django_assert_num_queries(7) as few:
        assert len(rows(en_client.get(reverse("accounts:audit")))) == 1
    for n in range(1, 60):  # many patients, many users, more than a page
        user = make_user(org, "nurse", display_name=f"护士{n}")
        audit.record(
            "patient.view",
            organization_id=org.pk,
            patient_id=make_patient(doctor, name=f"病人{n}").pk,
            actor=user,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(rows(en_client.get(reverse("accounts:audit")))) == 50


@pytest.mark.django_db
def test_the_page_shows_only_the_users_organization_and_refuses_nurses(en_client, auditor, nurse, other_org):
    elsewhere = make_patient(make_user(other_org, "doctor"), name="赵六")
    mine = make_patient(make_user(auditor.organization, "doctor"), name="张三")
    en_client.force_login(auditor)
    found = rows(en_client.get(reverse("accounts:audit")))
    assert {row.entry.organization_id for row in found} == {auditor.organization_id}
    assert mine.pk in {row.entry.patient_id for row in found}
    assert elsewhere.pk not in {row.entry.patient_id for row in found}
    en_client.force_login(nurse)
    assert en_client.get(reverse("accounts:audit")).status_code == 403
    assert en_client.post(reverse("accounts:audit_verify")).status_code == 403


def run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_verify_button_runs_in_the_worker_and_reports_a_whole_chain_and_its_checkpoint(en_client):
    org = make_organization()
    admin = make_user(org, "auditor")
    make_patient(make_user(org, "doctor"), name="张三")
    en_client.force_login(admin)
    run_worker()  # seals and writes the first checkpoint
    audit.record("patient.list", organization_id=org.pk)  # a page view since: waiting for the next pass
    assert en_client.post(reverse("accounts:audit_verify")).status_code == 302
    assert (
        "Verifying the chain in the background" in en_client.get(reverse("accounts:audit")).content.decode()
    )
    run_worker()
    page = en_client.get(reverse("accounts:audit")).content.decode()
    entries = AuditEntry.objects.filter(chain=org.pk).count()
    assert 'class="banner ok"' in page
    assert f"The chain is whole: all {entries} entries check out." in page
    assert "Checked against 1 signed checkpoint, the newest of" in page
    assert "they vouch for the first 1 entries" in page
    assert "1 new entry is waiting for its seal" in page


@pytest.mark.django_db(transaction=True)
def test_the_verify_button_reports_where_a_tampered_chain_breaks(en_client):
    org = make_organization()
    admin = make_user(org, "auditor")
    make_patient(make_user(org, "doctor"), name="张三")
    make_patient(make_user(org, "doctor"), name="李四")
    seal()
    victim = seals_of(org.pk)[0]
    tamper(f"UPDATE {ENTRIES} SET detail = %s WHERE id = %s", ['{"x": 1}', victim.entry_id])
    en_client.force_login(admin)
    en_client.post(reverse("accounts:audit_verify"))
    run_worker()
    page = en_client.get(reverse("accounts:audit")).content.decode()
    assert f"The chain is broken at entry {victim.seq}: its entry does not match its seal" in page
    assert 'class="banner bad"' in page


@pytest.mark.django_db(transaction=True)
def test_the_verify_button_says_when_checkpoints_go_to_syslog_only(en_client, settings):
    settings.AUDIT_CHECKPOINT_DIR = None
    org = make_organization()
    admin = make_user(org, "auditor")
    en_client.force_login(admin)
    en_client.post(reverse("accounts:audit_verify"))
    call_command("worker", "--batch", "--no-startup-delay", "--no-seal", stdout=io.StringIO())
    page = en_client.get(reverse("accounts:audit")).content.decode()
    assert "Checkpoints go to a syslog server only" in page
