"""The inbox, one alert's page, the count in the top bar and the banner on the patient page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.accounts.roles import Perm, Role, role_allows
from careloop.alerts.actions import do_acknowledge, do_resolve
from careloop.alerts.models import Alert
from tests.alerts.test_questionnaire_alerts import ITEM_9_LOW_TOTAL, SEVERE_WITHOUT_ITEM_9
from tests.factories import make_patient, make_user


@pytest.mark.parametrize(
    ("permission", "roles"),
    [
        (Perm.ALERT_VIEW, [Role.ADMIN, Role.DOCTOR, Role.NURSE]),
        (Perm.ALERT_HANDLE, [Role.ADMIN, Role.DOCTOR, Role.NURSE]),
    ],
)
def test_roles_that_see_and_handle_alerts(permission, roles):
    assert [role for role in Role if role_allows(role, permission)] == roles


@pytest.mark.parametrize("role", ["receptionist", "auditor"])
def test_roles_without_alerts_are_refused_the_inbox_and_get_no_nav_link(org, logged_in, raise_alert, role):
    alert = raise_alert()
    client = logged_in(make_user(org, role))
    assert client.get(reverse("alerts:inbox")).status_code == 403
    assert client.get(reverse("alerts:detail", args=[alert.pk])).status_code == 403
    assert client.post(reverse("alerts:acknowledge", args=[alert.pk])).status_code == 403
    assert 'id="nav-alerts"' not in client.get(reverse("home"), follow=True).content.decode()


def test_the_inbox_puts_open_urgent_alerts_first_then_the_longest_waiting(raise_alert, doctor, logged_in):
    now = timezone.now()
    newer_urgent = raise_alert("a", raised_at=now - datetime.timedelta(minutes=5))
    older_high = raise_alert("b", severity="high", raised_at=now - datetime.timedelta(hours=5))
    older_urgent = raise_alert("c", raised_at=now - datetime.timedelta(hours=1))
    seen = do_acknowledge(doctor, raise_alert("d", raised_at=now - datetime.timedelta(days=1)))
    do_resolve(doctor, raise_alert("e"), "好了")
    response = logged_in(doctor).get(reverse("alerts:inbox"))
    shown = [alert.pk for alert, _words in response.context["rows"]]
    assert shown == [older_urgent.pk, newer_urgent.pk, older_high.pk, seen.pk]


def test_the_inbox_filters_mine_and_by_status(raise_alert, doctor, nurse, logged_in):
    mine = raise_alert("a")
    theirs = raise_alert("b", assigned_to=nurse)
    done = do_resolve(doctor, raise_alert("c"), "好了")
    client = logged_in(doctor)

    def shown(**query):
        return {alert.pk for alert, _words in client.get(reverse("alerts:inbox"), query).context["rows"]}

    assert shown() == {mine.pk, theirs.pk}
    assert shown(who="mine") == {mine.pk}
    assert shown(status="resolved") == {done.pk}
    assert shown(status="any") == {mine.pk, theirs.pk, done.pk}
    assert shown(status="nonsense", who="nobody") == {mine.pk, theirs.pk}


def test_an_inbox_row_shows_the_patient_and_the_answer_that_raised_it(
    record_phq9, cared_for, doctor, logged_in
):
    record_phq9(ITEM_9_LOW_TOTAL)
    record_phq9(SEVERE_WITHOUT_ITEM_9)
    html = logged_in(doctor).get(reverse("alerts:inbox")).content.decode()
    assert f'href="{reverse("patients:detail", args=[cared_for.pk])}"' in html
    assert "PHQ-9 患者健康问卷-9" in html and "好几天" in html and "伤害自己" in html
    assert "重度抑郁" in html and html.index("好几天") < html.index("重度抑郁")  # urgent before high
    entry = AuditEntry.objects.filter(action="patient.list").latest("id")
    assert entry.detail["search"] == "alerts" and entry.detail["patients"] == [cared_for.pk]


def test_the_inbox_query_count_does_not_grow_with_alerts(raise_alert, doctor, logged_in):
    client = logged_in(doctor)
    raise_alert("first")
    client.get(reverse("alerts:inbox"))  # a session's first request refreshes its expiry
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("alerts:inbox"))
    for n in range(10):
        raise_alert(f"more-{n}", patient=make_patient(doctor, name=f"患者{n}", responsible_doctor=doctor))
    with CaptureQueriesContext(connection) as eleven:
        response = client.get(reverse("alerts:inbox"))
    assert len(response.context["rows"]) == 11
    assert len(eleven) == len(one)


def test_the_alert_page_shows_the_question_and_answer_and_is_audited(
    record_phq9, cared_for, doctor, logged_in
):
    record_phq9(ITEM_9_LOW_TOTAL)
    alert = Alert.objects.get()
    response = logged_in(doctor).get(reverse("alerts:detail", args=[alert.pk]))
    html = response.content.decode()
    assert "伤害自己" in html and "好几天" in html and "第 9 题" in html  # the flag's own Chinese wording
    assert 'id="acknowledge"' in html and 'id="resolve"' in html
    entry = AuditEntry.objects.filter(action="patient.view").latest("id")
    assert (entry.patient_id, entry.detail) == (cared_for.pk, {"section": "alert"})


def test_acknowledge_assign_and_resolve_through_the_page(raise_alert, doctor, nurse, logged_in):
    alert = raise_alert()
    client = logged_in(doctor)
    response = client.post(reverse("alerts:acknowledge", args=[alert.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("alerts:detail", args=[alert.pk])
    assert 'id="time-to-acknowledge"' in response.content.decode()
    client.post(reverse("alerts:assign", args=[alert.pk]), {"assigned_to": nurse.pk})
    refused = client.post(reverse("alerts:resolve", args=[alert.pk]), {"note": ""})
    assert refused.status_code == 400 and 'class="error"' in refused.content.decode()
    client.post(reverse("alerts:resolve", args=[alert.pk]), {"note": "已电话随访"})
    alert.refresh_from_db()
    assert (alert.status, alert.assigned_to, alert.resolution_note) == ("resolved", nurse, "已电话随访")
    assert 'id="resolve"' not in client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()


def test_acknowledging_twice_says_so_instead_of_failing(raise_alert, doctor, logged_in):
    alert = raise_alert()
    client = logged_in(doctor)
    client.post(reverse("alerts:acknowledge", args=[alert.pk]), follow=True)
    response = client.post(reverse("alerts:acknowledge", args=[alert.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_an_assignee_of_another_organization_is_refused(raise_alert, doctor, other_org, logged_in):
    alert = raise_alert()
    stranger = make_user(other_org, "doctor")
    response = logged_in(doctor).post(reverse("alerts:assign", args=[alert.pk]), {"assigned_to": stranger.pk})
    assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.assigned_to == doctor


@pytest.mark.parametrize("name", ["alerts:detail", "alerts:acknowledge", "alerts:assign", "alerts:resolve"])
def test_another_organizations_alert_is_not_found(raise_alert, other_org, logged_in, name):
    their_doctor = make_user(other_org, "doctor")
    theirs = raise_alert(organization=other_org, patient=make_patient(their_doctor, name="李四"))
    client = logged_in(make_user(theirs.organization, "doctor"))
    assert client.get(reverse("alerts:detail", args=[theirs.pk])).status_code == 200  # their own staff
    client = logged_in(make_user(raise_alert().organization, "doctor"))
    method = client.get if name == "alerts:detail" else client.post
    assert method(reverse(name, args=[theirs.pk]), {"note": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_the_top_bar_counts_my_open_alerts(raise_alert, doctor, nurse, logged_in):
    raise_alert("a")
    raise_alert("b")
    do_acknowledge(doctor, raise_alert("c"))
    raise_alert("d", assigned_to=nurse)
    html = logged_in(doctor).get(reverse("alerts:inbox")).content.decode()
    assert '<span class="badge" id="alert-badge"' in html and ">2</span>" in html
    do_resolve(doctor, Alert.objects.get(reason="a"), "好了")
    do_resolve(doctor, Alert.objects.get(reason="b"), "好了")
    assert 'id="alert-badge"' not in logged_in(doctor).get(reverse("alerts:inbox")).content.decode()


def test_the_patient_page_shows_the_patients_open_alerts(record_phq9, cared_for, doctor, logged_in):
    record_phq9(ITEM_9_LOW_TOTAL)
    client = logged_in(doctor)
    url = reverse("patients:detail", args=[cared_for.pk])
    html = client.get(url).content.decode()
    alert = Alert.objects.get()
    assert 'id="patient-alerts"' in html and reverse("alerts:detail", args=[alert.pk]) in html
    assert "好几天" in html
    do_resolve(doctor, alert, "好了")
    assert 'id="patient-alerts"' not in client.get(url).content.decode()


def test_the_receptionist_sees_no_alerts_on_the_patient_page(record_phq9, cared_for, org, logged_in):
    record_phq9(ITEM_9_LOW_TOTAL)
    html = logged_in(make_user(org, "receptionist")).get(reverse("patients:detail", args=[cared_for.pk]))
    assert 'id="patient-alerts"' not in html.content.decode()
