"""Results in, in a real browser.

Upload an Excel file with two bad rows, read the error report, see the trend.
"""

import csv
import io

import pytest
from playwright.sync_api import expect

from careloop.observations.models import Observation
from tests.factories import make_patient
from tests.observations.helpers import results_xlsx, yearly_glucose_rows

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERIES_LENGTH = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('trend-canvas'));
  return chart.getOption().series[0].data.length;
}"""


def test_upload_excel_keep_good_rows_error_report_and_trend(
    login_page, live_server, nurse, doctor, settings, tmp_path
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.IMPORT_DIR = tmp_path
    patient = make_patient(doctor, name="孙丽")
    rows = yearly_glucose_rows(patient.id_number, patient.name, [5.2, 5.6, 6.0, 6.4, 7.1])
    rows.insert(
        2, [patient.id_number, "", patient.name, "", "", "收缩压", "1200", "mmHg", "2023-03-05 08:30"]
    )
    rows.append(
        [patient.id_number, "", patient.name, "", "", "空腹血糖", "5.6", "furlongs", "2026-03-05 08:30"]
    )
    upload = tmp_path / "体检结果.xlsx"
    upload.write_bytes(results_xlsx(rows))

    page = login_page(nurse)
    page.click("text=结果导入")
    page.set_input_files("#id_file", str(upload))
    page.select_option("#id_mode", "keep_good")
    page.click("#start-import")
    expect(page.locator("#count-created")).to_have_text("5")
    expect(page.locator("#count-refused")).to_have_text("2")
    expect(page.locator("#problems tbody tr")).to_have_count(2)
    expect(page.locator("#problems")).to_contain_text("1200")
    # Reasons and places in the user's language, the indicator by its Chinese name.
    expect(page.locator("#problems")).to_contain_text("不是合理的收缩压")
    expect(page.locator("#problems")).to_contain_text("应为 mmol/L 或 mg/dL")
    expect(page.locator("#problems")).to_contain_text("“furlongs”是未知单位")

    with page.expect_download() as download:
        page.click("#download-errors")
    report = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert len(report) == 3  # the header and the two refused rows
    assert report[0] == ["行", "列", "值", "原因"]
    assert [row[1] for row in report[1:]] == ["结果", "单位"]
    assert "不是合理的收缩压" in report[1][3]
    assert Observation.objects.filter(patient=patient).count() == 5

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("[data-tab=trends]")
    expect(page.locator("#trend-canvas canvas")).to_have_count(1)
    page.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('trend-canvas'))"
    )
    assert page.evaluate(SERIES_LENGTH) == 5


def test_results_waiting_for_an_unregistered_person_are_filed_when_registered_from_the_queue(
    login_page, live_server, doctor, settings, tmp_path
):
    from careloop.demo.clinic import NEWCOMER_ID, import_demo_lab_message
    from careloop.observations.models import FeedPolicy
    from careloop.patients.models import Patient

    # An organization that registers no one a feed names without review: 林婉清's Patient line waits.
    FeedPolicy.objects.create(organization=doctor.organization, unknown_patients="hold")
    batch = import_demo_lab_message(doctor.organization)
    # Her Patient line and two results; two results by the lab's MRN; one by an ID number alone.
    assert (batch.unmatched, batch.refused) == (6, 1)

    page = login_page(doctor)
    page.goto(f"{live_server.url}/imports/unmatched/")
    expect(page.locator("#unmatched tbody tr")).to_have_count(6)
    row = page.locator("#unmatched tbody tr", has_text="林婉清").first
    expect(row).to_contain_text("接口设置要求新患者须经审核")
    expect(page.locator("#unmatched")).to_contain_text("没有患者使用此病历号")
    expect(page.locator("#unmatched")).to_contain_text("没有患者使用此身份证号")
    page.screenshot(path=str(tmp_path / "unmatched.png"), full_page=True)
    row.locator("text=登记为新患者").click()
    expect(page.locator("#id_name")).to_have_value("林婉清")
    expect(page.locator("#id_id_number")).to_have_value(NEWCOMER_ID)
    page.screenshot(path=str(tmp_path / "register.png"), full_page=True)
    page.click("#save-patient")
    expect(page.locator(".messages")).to_contain_text("2 条")
    patient = Patient.objects.get(name="林婉清")
    assert Observation.objects.filter(patient=patient).count() == 2
    page.goto(f"{live_server.url}/imports/unmatched/")
    expect(page.locator("#unmatched tbody tr")).to_have_count(3)
