"""Raise, acknowledge, assign, resolve: each once, each audited with the change."""

import datetime

import pytest

from careloop.accounts.models import AuditEntry
from careloop.alerts.actions import AlertRefused, do_acknowledge, do_assign, do_resolve
from careloop.alerts.models import Alert
from tests.factories import make_user


def test_raising_twice_for_the_same_source_and_reason_makes_one_alert(raise_alert, doctor):
    first = raise_alert("flag:x")
    second = raise_alert("flag:x", severity="high")
    assert first.pk == second.pk and second.severity == "urgent"
    assert Alert.objects.count() == 1
    assert AuditEntry.objects.filter(action="alert.raise").count() == 1
    assert raise_alert("flag:y").pk != first.pk


def test_an_alert_goes_to_the_responsible_doctor_unless_someone_is_named(raise_alert, doctor, nurse):
    assert raise_alert("a").assigned_to == doctor
    assert raise_alert("b", assigned_to=nurse).assigned_to == nurse


def test_an_inactive_responsible_doctor_is_not_given_the_alert(raise_alert, doctor):
    doctor.is_active = False
    doctor.save(update_fields=["is_active"])
    assert raise_alert("a").assigned_to is None


def test_acknowledging_records_who_when_and_how_long_it_waited(raise_alert, doctor):
    alert = raise_alert(raised_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=30))
    do_acknowledge(doctor, alert)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", doctor)
    waited = alert.time_to_acknowledge
    assert waited is not None and datetime.timedelta(minutes=29) < waited < datetime.timedelta(minutes=31)
    entry = AuditEntry.objects.get(action="alert.acknowledge")
    assert (entry.actor_id, entry.patient_id, entry.object_id) == (doctor.pk, alert.patient_id, str(alert.pk))
    assert 29 * 60 < entry.detail["seconds_to_acknowledge"] < 31 * 60


def test_an_alert_is_acknowledged_once(raise_alert, doctor, nurse):
    alert = raise_alert()
    do_acknowledge(doctor, alert)
    with pytest.raises(AlertRefused):
        do_acknowledge(nurse, alert)
    alert.refresh_from_db()
    assert alert.acknowledged_by == doctor
    assert AuditEntry.objects.filter(action="alert.acknowledge").count() == 1


def test_assigning_hands_the_alert_on_and_audits_from_and_to(raise_alert, doctor, nurse):
    alert = do_assign(doctor, raise_alert(), nurse)
    assert alert.assigned_to == nurse
    entry = AuditEntry.objects.get(action="alert.assign")
    assert entry.detail == {"from": doctor.pk, "to": nurse.pk}


@pytest.mark.parametrize("who", ["receptionist", "auditor", "inactive", "other organization"])
def test_an_alert_is_assigned_only_to_active_staff_of_its_organization_who_handle_alerts(
    raise_alert, doctor, org, other_org, who
):
    assignee = {
        "receptionist": lambda: make_user(org, "receptionist"),
        "auditor": lambda: make_user(org, "auditor"),
        "inactive": lambda: make_user(org, "nurse", is_active=False),
        "other organization": lambda: make_user(other_org, "doctor"),
    }[who]()
    alert = raise_alert()
    with pytest.raises(AlertRefused):
        do_assign(doctor, alert, assignee)
    alert.refresh_from_db()
    assert alert.assigned_to == doctor
    assert not AuditEntry.objects.filter(action="alert.assign").exists()


def test_resolving_needs_a_note(raise_alert, doctor):
    alert = raise_alert()
    with pytest.raises(AlertRefused):
        do_resolve(doctor, alert, "   ")
    alert.refresh_from_db()
    assert alert.status == "open"


def test_resolving_an_open_alert_acknowledges_it_too_and_keeps_the_note_out_of_the_audit(raise_alert, nurse):
    alert = do_resolve(nurse, raise_alert(), "  已电话随访 转精神科 ")
    assert (alert.status, alert.resolved_by, alert.resolution_note) == (
        "resolved",
        nurse,
        "已电话随访 转精神科",
    )
    assert alert.acknowledged_by == nurse and alert.acknowledged_at == alert.resolved_at
    entry = AuditEntry.objects.get(action="alert.resolve")
    assert entry.detail == {"was_open": True, "note_length": len("已电话随访 转精神科")}


def test_resolving_keeps_the_first_acknowledgement(raise_alert, doctor, nurse):
    alert = do_acknowledge(doctor, raise_alert())
    acknowledged_at = alert.acknowledged_at
    alert = do_resolve(nurse, alert, "处理完毕")
    assert (alert.acknowledged_by, alert.acknowledged_at) == (doctor, acknowledged_at)


def test_a_resolved_alert_cannot_be_resolved_or_assigned_again(raise_alert, doctor, nurse):
    alert = do_resolve(doctor, raise_alert(), "处理完毕")
    with pytest.raises(AlertRefused):
        do_resolve(nurse, alert, "再次")
    with pytest.raises(AlertRefused):
        do_assign(doctor, alert, nurse)
    alert.refresh_from_db()
    assert (alert.resolved_by, alert.resolution_note, alert.assigned_to) == (doctor, "处理完毕", doctor)
