"""The Trends tab of the patient page and its chart endpoint."""

import datetime
import itertools
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.observations.models import ExamReport, Observation
from tests.factories import make_patient, make_user

_ids = itertools.count(1)


def add_result(patient, code, value, year, flag="normal", unit="mmol/L", report=None, month=3):
    n = next(_ids)
    return Observation.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        code=code,
        value=value,
        unit=unit,
        value_reported=str(value),
        unit_reported=unit,
        flag=flag,
        effective_at=timezone.make_aware(datetime.datetime(year, month, 5, 8, 30)),
        source_kind="exam_report" if report else "hospital_system",
        source_system="test-lis",
        source_id=f"r{n}",
        report=report,
    )


def yearly_glucose(patient, values=(5.2, 5.6, 6.0, 6.4, 7.1)):
    for i, value in enumerate(values):
        add_result(patient, "1558-6", value, 2021 + i, flag="normal" if value < 6.1 else "high")


def chart_json(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "chart data missing"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def tab_url(patient):
    return f"/patients/{patient.pk}/tab/trends/"


def chart_url(patient, code):
    return f"/imports/patients/{patient.pk}/trends/chart/?indicator={code}"


@pytest.mark.django_db
def test_doctor_sees_picker_chart_and_year_table(logged_in, doctor, patient):
    yearly_glucose(patient)
    add_result(patient, "8480-6", 150, 2025, flag="high", unit="mm[Hg]")
    response = logged_in(doctor).get(tab_url(patient))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="1558-6"' in html and 'data-code="8480-6"' in html
    data = chart_json(html)
    assert data["code"] == "8480-6"  # vitals come first in the picker, so SBP is charted first
    assert [u["token"] for u in data["units"]] == ["mm[Hg]", "kPa"]
    assert re.findall(r'<th class="num" scope="col">(\d{4})</th>', html) == [
        "2021",
        "2022",
        "2023",
        "2024",
        "2025",
    ]


@pytest.mark.django_db
def test_chart_endpoint_gives_both_glucose_units_and_the_band(logged_in, doctor, patient):
    yearly_glucose(patient)
    response = logged_in(doctor).get(chart_url(patient, "1558-6"), HTTP_HX_REQUEST="true")
    data = chart_json(response.content.decode())
    assert [u["token"] for u in data["units"]] == ["mmol/L", "mg/dL"]
    first = data["points"][0]["v"]
    assert first["mg/dL"] == pytest.approx(first["mmol/L"] * 18.016, abs=0.1)
    assert data["band"]["mmol/L"] == [3.9, 6.1]
    assert [p["abnormal"] for p in data["points"]] == [False, False, False, True, True]
    assert 'data-unit="mg/dL"' in response.content.decode()  # the summary in the other unit


@pytest.mark.django_db
def test_chart_endpoint_writes_its_own_view_audit(logged_in, doctor, patient):
    yearly_glucose(patient)
    before = AuditEntry.objects.filter(action="patient.view").count()
    logged_in(doctor).get(chart_url(patient, "1558-6"), HTTP_HX_REQUEST="true")
    entry = AuditEntry.objects.filter(action="patient.view").order_by("-id").first()
    assert AuditEntry.objects.filter(action="patient.view").count() == before + 1
    assert entry is not None
    assert entry.patient_id == patient.pk and entry.detail == {"section": "trends"}


@pytest.mark.django_db
def test_chart_endpoint_without_htmx_goes_to_the_tab(logged_in, doctor, patient):
    response = logged_in(doctor).get(chart_url(patient, "1558-6"))
    assert response.status_code == 302
    assert response["Location"] == tab_url(patient) + "?indicator=1558-6"


@pytest.mark.django_db
def test_deep_link_to_another_indicator_loads_its_chart(logged_in, doctor, patient):
    yearly_glucose(patient)
    add_result(patient, "8480-6", 150, 2025, flag="high", unit="mm[Hg]")
    html = logged_in(doctor).get(tab_url(patient) + "?indicator=1558-6").content.decode()
    assert 'hx-trigger="load"' in html and "indicator=1558-6" in html


@pytest.mark.django_db
def test_unknown_indicator_says_so(logged_in, doctor, patient):
    response = logged_in(doctor).get(chart_url(patient, "0000-0"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="trend-missing"' in response.content.decode()


@pytest.mark.django_db
def test_yoy_cell_of_an_abnormal_year_is_marked_with_its_flag(logged_in, doctor, patient):
    report = ExamReport.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        source_system="test-lis",
        source_id="rep-2024",
        issued_at=timezone.make_aware(datetime.datetime(2024, 3, 6)),
    )
    add_result(patient, "1558-6", 5.0, 2023)
    add_result(patient, "1558-6", 7.2, 2024, flag="high", report=report)
    add_result(patient, "1558-6", 5.1, 2024, month=11)  # a later non-check result: the check wins
    html = logged_in(doctor).get(tab_url(patient)).content.decode()
    found = re.search(r'<tr data-code="1558-6">(.*?)</tr>', html, re.S)
    assert found is not None
    row = found.group(1)
    assert re.search(r'class="num abnormal" title="[^"]+">7.20<span class="arrow">↑</span>', row)


@pytest.mark.django_db
def test_patient_without_results_gets_a_message(logged_in, doctor, patient):
    html = logged_in(doctor).get(tab_url(patient)).content.decode()
    assert 'id="no-trends"' in html


@pytest.mark.django_db
def test_other_organization_patient_is_not_found(logged_in, doctor, other_org):
    stranger = make_patient(make_user(other_org, "doctor"))
    yearly_glucose(stranger)
    client = logged_in(doctor)
    assert client.get(tab_url(stranger)).status_code == 404
    assert client.get(chart_url(stranger, "1558-6"), HTTP_HX_REQUEST="true").status_code == 404


@pytest.mark.django_db
def test_receptionist_may_not_read_trends(logged_in, receptionist, patient):
    client = logged_in(receptionist)
    assert client.get(tab_url(patient)).status_code == 403
    assert client.get(chart_url(patient, "1558-6"), HTTP_HX_REQUEST="true").status_code == 403
    assert 'data-tab="trends"' not in client.get(f"/patients/{patient.pk}/").content.decode()


@pytest.mark.django_db
def test_tab_queries_do_not_grow_with_results(logged_in, doctor, django_assert_max_num_queries):
    client = logged_in(doctor)
    small, large = make_patient(doctor, name="甲"), make_patient(doctor, name="乙")
    add_result(small, "1558-6", 5.0, 2024)
    codes = ["1558-6", "2093-3", "2571-8", "18262-6", "2085-9"]
    for i in range(50):
        add_result(large, codes[i % 5], 4.0 + i % 3, 2015 + i // 5)
    client.get(tab_url(small))  # warm caches (session, catalogue)
    with CaptureQueriesContext(connection) as one:
        assert client.get(tab_url(small)).status_code == 200
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(tab_url(large)).status_code == 200
    observation_queries = [q for q in one.captured_queries if "observations_observation" in q["sql"]]
    assert len(observation_queries) == 1
