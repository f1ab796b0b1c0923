"""Merging two records of one person (merging.do_merge_patients) and undoing it exactly (do_unmerge)."""

import datetime
import json

import pytest
from django.utils import timezone, translation

from careloop.accounts.models import AuditEntry
from careloop.observations.models import (
    ExamReport,
    FeedReview,
    Observation,
    PatientIdentifier,
    UnmatchedResult,
)
from careloop.patients.actions import do_tag_patient, do_update_patient
from careloop.patients.duplicates import probable_duplicates, probable_pairs
from careloop.patients.membership.actions import do_issue_card
from careloop.patients.mergerows import patient_links
from careloop.patients.merging import MergeRefused, do_merge_patients, do_unmerge
from careloop.patients.models import (
    ConsentEvent,
    Encounter,
    FamilyLink,
    Lifestyle,
    MembershipCard,
    Patient,
    PatientMerge,
    PatientTag,
    Tag,
)
from careloop.patients.scoping import patients_for, surviving_record
from careloop.patients.search import search
from tests.factories import make_patient, make_user

BORN = datetime.date(1958, 6, 7)


@pytest.fixture(autouse=True)
def english():
    """Refusals are matched by their English words (a request activates its own language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def pair(doctor):
    """One person registered twice: the older record with the right mobile, the newer with the ID number
    typed right and an address."""
    survivor = make_patient(doctor, name="王晓明", birth_date=BORN, mobile="13800000001")
    merged = make_patient(doctor, name="王小明", birth_date=BORN, mobile="13900000009", address="幸福路1号")
    return survivor, merged


def observation(patient: Patient, source_id: str) -> Observation:
    return Observation.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        code="2345-7",
        value=5.6,
        unit="mmol/L",
        value_reported="5.6",
        effective_at=timezone.now(),
        source_kind="hospital_system",
        source_system="LIS",
        source_id=source_id,
    )


def visit(patient: Patient, source_id: str) -> Encounter:
    return Encounter.objects.create(
        patient=patient, admitted_at=timezone.now(), source_system="HIS", source_id=source_id
    )


def tag(patient: Patient, user, name: str) -> None:
    made, _ = Tag.objects.get_or_create(organization_id=patient.organization_id, name=name)
    do_tag_patient(user, patient, made)


@pytest.mark.django_db
def test_everything_of_the_merged_record_moves_to_the_survivor(pair, doctor, admin_user):
    survivor, merged = pair
    third = make_patient(doctor, name="李秀英")
    org = merged.organization_id
    rows = {
        "result": observation(merged, "obs-1"),
        "report": ExamReport.objects.create(
            organization_id=org, patient=merged, source_system="PE", source_id="r1", issued_at=timezone.now()
        ),
        "visit": visit(merged, "v1"),
        "card": do_issue_card(admin_user, merged),
        "consent": ConsentEvent.objects.create(patient=merged, purpose="care", granted=True),
        "family": FamilyLink.objects.create(patient=merged, related_name="王妻", relationship="spouse"),
        "named_by_family": FamilyLink.objects.create(
            patient=third, related_patient=merged, related_name="王小明", relationship="spouse"
        ),
        "lifestyle": Lifestyle.objects.create(patient=merged),
        "mrn": PatientIdentifier.objects.create(
            organization_id=org, patient=merged, system="HIS", value="M1"
        ),
        "feed_review": FeedReview.objects.create(organization_id=org, patient=merged, fields=["address"]),
        "filed": UnmatchedResult.objects.create(organization_id=org, record={}, resolved_patient=merged),
    }
    tag(merged, doctor, "高血压")

    merge = do_merge_patients(doctor, survivor, merged)

    for row in rows.values():
        row.refresh_from_db()
    assert {name: row.patient_id for name, row in rows.items() if hasattr(row, "patient_id")} == {
        "result": survivor.pk,
        "report": survivor.pk,
        "visit": survivor.pk,
        "card": survivor.pk,
        "consent": survivor.pk,
        "family": survivor.pk,
        "named_by_family": third.pk,
        "lifestyle": survivor.pk,
        "mrn": survivor.pk,
        "feed_review": survivor.pk,
    }
    assert FamilyLink.objects.get(pk=rows["named_by_family"].pk).related_patient_id == survivor.pk
    assert UnmatchedResult.objects.get(pk=rows["filed"].pk).resolved_patient_id == survivor.pk
    assert survivor.patient_tags.get().tag.name == "高血压"
    assert merge.moved["observations.Observation.patient"] == [rows["result"].pk]
    assert merge.kept == {}
    assert not any(link.model is PatientMerge for link in patient_links())


@pytest.mark.django_db
def test_what_the_survivor_already_has_one_of_stays_with_the_merged_record(pair, doctor, admin_user):
    survivor, merged = pair
    cards = do_issue_card(admin_user, survivor), do_issue_card(admin_user, merged)
    Lifestyle.objects.create(patient=survivor)
    second_lifestyle = Lifestyle.objects.create(patient=merged)
    visit(survivor, "v1")
    visit(survivor, "")
    same_visit, other_visit, unkeyed = visit(merged, "v1"), visit(merged, "v2"), visit(merged, "")
    tag(survivor, doctor, "糖尿病")
    tag(merged, doctor, "糖尿病")
    tag(merged, doctor, "高血压")
    between = FamilyLink.objects.create(
        patient=merged, related_patient=survivor, related_name="王晓明", relationship="other"
    )

    merge = do_merge_patients(doctor, survivor, merged)

    same_tag = PatientTag.objects.get(patient=merged, tag__name="糖尿病")
    assert merge.kept == {
        "patients.PatientTag.patient": [same_tag.pk],
        "patients.MembershipCard.patient": [cards[1].pk],
        "patients.FamilyLink.patient": [between.pk],
        "patients.Lifestyle.patient": [second_lifestyle.pk],
        "patients.Encounter.patient": [same_visit.pk],
    }
    assert set(survivor.encounters.values_list("pk", flat=True)) >= {other_visit.pk, unkeyed.pk}
    assert MembershipCard.objects.filter(patient=survivor, status="active").count() == 1
    assert sorted(survivor.patient_tags.values_list("tag__name", flat=True)) == ["糖尿病", "高血压"]
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.detail["kept"] == merge.kept


@pytest.mark.django_db
def test_the_fields_taken_come_from_the_merged_record_and_count_as_edited_by_hand(pair, doctor):
    survivor, merged = pair
    merged_id_number = merged.id_number
    do_merge_patients(doctor, survivor, merged, take=["name", "id_number", "address"])
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.name, survivor.id_number, survivor.address) == ("王小明", merged_id_number, "幸福路1号")
    assert survivor.mobile == "13800000001" and survivor.name_pinyin == "wangxiaoming"
    assert {"name", "id_number", "address"} <= survivor.hand_edited.keys()
    # The merged record keeps no identifier that an import or a duplicate scan could find it by.
    assert (merged.id_number, merged.id_number_index, merged.mobile, merged.mobile_index) == ("", "", "", "")
    assert merged.merged_into_id == survivor.pk


@pytest.mark.django_db
def test_a_feeds_merge_leaves_no_hand_edit_and_is_audited_with_its_message(pair):
    survivor, merged = pair
    source = {"source": "feed", "message": "ADT123", "event": "A40", "batch": 7}
    merge = do_merge_patients(None, survivor, merged, take=["address"], source=source)
    survivor.refresh_from_db()
    assert "address" not in survivor.hand_edited and merge.merged_by is None and merge.source == source
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.patient_id == survivor.pk and entry.object_id == str(merge.pk)
    assert entry.detail["merged"] == merged.pk and entry.detail["message"] == "ADT123"
    assert entry.detail["taken"] == ["address"]


@pytest.mark.django_db
def test_no_identifier_reaches_the_audit_trail_or_the_merge_row_in_clear(pair, doctor):
    survivor, merged = pair
    identifiers = [merged.id_number, merged.mobile, survivor.id_number]
    merge = do_merge_patients(doctor, survivor, merged, take=["id_number", "mobile"])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT survivor_before, merged_identifiers FROM patients_patientmerge")
        stored = " ".join(cursor.fetchone())
    written = json.dumps(list(AuditEntry.objects.values_list("detail", flat=True)), ensure_ascii=False)
    for value in identifiers:
        assert value not in stored and value not in written
    assert merge.merged_identifiers  # decrypted through the field


@pytest.mark.django_db
def test_the_merged_record_redirects_and_is_gone_from_lists_search_and_duplicates(pair, doctor, logged_in):
    survivor, merged = pair
    client = logged_in(doctor)
    assert len(probable_pairs(doctor.organization_id)) == 1
    do_merge_patients(doctor, survivor, merged)
    assert list(patients_for(doctor)) == [survivor]
    assert list(search(patients_for(doctor), "wangxiaoming")[0]) == [survivor]
    assert probable_pairs(doctor.organization_id) == []
    newcomer = Patient(organization_id=doctor.organization_id, name="王小明", birth_date=BORN, sex="male")
    from careloop.patients.identity import fill_derived_fields

    fill_derived_fields(newcomer)
    assert [c.patient for c in probable_duplicates(doctor.organization_id, newcomer)] == [survivor]
    response = client.get(f"/patients/{merged.pk}/", headers={"Accept-Language": "zh-hans"}, follow=True)
    assert response.redirect_chain == [(f"/patients/{survivor.pk}/", 302)]
    assert "此档案已合并到王晓明的档案" in response.content.decode()


@pytest.mark.django_db
def test_a_merged_record_of_another_organization_is_not_found(pair, doctor, other_org, logged_in):
    survivor, merged = pair
    do_merge_patients(doctor, survivor, merged)
    stranger = make_user(other_org, "doctor")
    assert surviving_record(stranger, merged.pk) is None
    assert logged_in(stranger).get(f"/patients/{merged.pk}/").status_code == 404


@pytest.mark.django_db
def test_undo_restores_both_records_and_every_row_exactly(pair, doctor, admin_user):
    survivor, merged = pair
    before = {p.pk: Patient.objects.filter(pk=p.pk).values().get() for p in pair}
    result, card = observation(merged, "obs-1"), do_issue_card(admin_user, merged)
    tag(survivor, doctor, "糖尿病")
    tag(merged, doctor, "糖尿病")
    merge = do_merge_patients(doctor, survivor, merged, take=["name", "mobile", "address"])
    later = observation(survivor, "obs-2")  # filed on the survivor after the merge: it stays there

    do_unmerge(admin_user, merge)

    for patient_id, values in before.items():
        after = Patient.objects.filter(pk=patient_id).values().get()
        assert {k: v for k, v in after.items() if k != "updated_at"} == {
            k: v for k, v in values.items() if k != "updated_at"
        }
    for row in (result, card, later):
        row.refresh_from_db()
    assert (result.patient_id, card.patient_id, later.patient_id) == (merged.pk, merged.pk, survivor.pk)
    assert PatientTag.objects.filter(patient=merged).count() == 1
    merge.refresh_from_db()
    assert merge.undone_by == admin_user and merge.undone_at is not None
    entry = AuditEntry.objects.get(action="patient.unmerge")
    assert entry.detail["restored"] == ["name", "mobile", "address"]
    assert entry.detail["moved_back"]["observations.Observation.patient"] == 1
    assert len(probable_pairs(doctor.organization_id)) == 1


@pytest.mark.django_db
def test_undo_keeps_a_field_edited_since_the_merge(pair, doctor):
    survivor, merged = pair
    registered = survivor.hand_edited["name"]
    merge = do_merge_patients(doctor, survivor, merged, take=["name", "address"])
    survivor.refresh_from_db()
    edited = {"address": survivor.address}
    survivor.address = "光明路2号"
    do_update_patient(doctor, survivor, edited)

    do_unmerge(doctor, merge)

    survivor.refresh_from_db()
    assert (survivor.name, survivor.address) == ("王晓明", "光明路2号")
    assert survivor.hand_edited["name"] == registered and survivor.hand_edited["address"] > registered
    assert AuditEntry.objects.get(action="patient.unmerge").detail["kept_as_edited"] == ["address"]


@pytest.mark.django_db
def test_refusals(pair, doctor, other_org):
    survivor, merged = pair
    stranger = make_patient(make_user(other_org, "doctor"), name="王晓明", birth_date=BORN)
    with pytest.raises(MergeRefused, match="itself"):
        do_merge_patients(doctor, survivor, survivor)
    with pytest.raises(MergeRefused, match="different organizations"):
        do_merge_patients(None, survivor, stranger)
    with pytest.raises(MergeRefused, match="different organizations"):
        do_merge_patients(make_user(other_org, "doctor"), survivor, merged)
    with pytest.raises(MergeRefused, match="Not a field"):
        do_merge_patients(doctor, survivor, merged, take=["organization"])
    merge = do_merge_patients(doctor, survivor, merged)
    third = make_patient(doctor, name="王晓明", birth_date=BORN)
    for pair_again in ((survivor, merged), (merged, third), (third, merged)):
        with pytest.raises(MergeRefused, match="already merged"):
            do_merge_patients(doctor, *pair_again)
    with pytest.raises(MergeRefused, match="another organization"):
        do_unmerge(make_user(other_org, "admin"), merge)
    do_unmerge(doctor, merge)
    with pytest.raises(MergeRefused, match="already undone"):
        do_unmerge(doctor, merge)
    assert AuditEntry.objects.filter(action="patient.merge").count() == 1


@pytest.mark.django_db
def test_a_merge_whose_survivor_was_merged_since_is_undone_after_the_later_one(pair, doctor):
    survivor, merged = pair
    first = do_merge_patients(doctor, survivor, merged)
    third = make_patient(doctor, name="王晓明", birth_date=BORN)
    later = do_merge_patients(doctor, third, survivor)
    assert surviving_record(doctor, merged.pk) == third  # the redirect follows both merges
    with pytest.raises(MergeRefused, match="undo that merge first"):
        do_unmerge(doctor, first)
    do_unmerge(doctor, later)
    do_unmerge(doctor, first)
    assert set(patients_for(doctor)) == {survivor, merged, third}
