"""The Trends tab in a real browser (zh-Hans): the ECharts chart, the unit switch, the year table."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from careloop.observations.models import Observation
from tests.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GLUCOSE = [5.2, 5.6, 6.0, 6.4, 7.1]  # mmol/L, one a year from 2021


def add_yearly_glucose(patient):
    for i, value in enumerate(GLUCOSE):
        Observation.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            code="1558-6",
            value=value,
            unit="mmol/L",
            value_reported=str(value),
            unit_reported="mmol/L",
            flag="normal" if value < 6.1 else "high",
            effective_at=timezone.make_aware(datetime.datetime(2021 + i, 3, 5, 8, 30)),
            source_kind="hospital_system",
            source_system="e2e-lis",
            source_id=f"fpg-{2021 + i}",
        )


SERIES_VALUES = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('trend-canvas'));
  return chart ? chart.getOption().series[0].data.map(d => d.value[1]) : null;
}"""


def test_trend_chart_switches_unit_and_shows_five_years(login_page, live_server, doctor):
    patient = make_patient(doctor, name="周血糖")
    add_yearly_glucose(patient)
    page = login_page(doctor)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("[data-tab=trends]")  # an HTMX swap of the tab panel: the chart must still start
    expect(page.locator("#trend-canvas canvas")).to_have_count(1)
    page.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('trend-canvas'))"
    )
    values = page.evaluate(SERIES_VALUES)
    assert values == GLUCOSE

    page.select_option("#trend-unit", "mg/dL")
    converted = page.evaluate(SERIES_VALUES)
    assert len(converted) == 5
    assert converted[0] == pytest.approx(GLUCOSE[0] * 18.0, rel=0.01)
    expect(page.locator("#trend-summary dl[data-unit='mg/dL']")).to_be_visible()
    expect(page.locator("#trend-summary dl[data-unit='mmol/L']")).to_be_hidden()

    expect(page.locator("#trend-yoy thead th.num")).to_have_count(5)
    expect(page.locator("#trend-yoy tr[data-code='1558-6'] td.abnormal")).to_have_count(2)


def test_picking_an_indicator_swaps_the_chart_and_pushes_the_url(login_page, live_server, doctor):
    patient = make_patient(doctor, name="吴血压")
    add_yearly_glucose(patient)
    Observation.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        code="8480-6",
        value=150,
        unit="mm[Hg]",
        value_reported="150",
        unit_reported="mmHg",
        flag="high",
        effective_at=timezone.make_aware(datetime.datetime(2025, 3, 5, 8, 30)),
        source_kind="hospital_system",
        source_system="e2e-lis",
        source_id="sbp-2025",
    )
    page = login_page(doctor)
    page.goto(f"{live_server.url}/patients/{patient.pk}/tab/trends/")
    expect(page.locator("#trend-title")).to_contain_text("收缩压")
    page.click(".trend-picker a[data-code='1558-6']")
    expect(page.locator("#trend-title")).to_contain_text("空腹血糖")
    expect(page).to_have_url(f"{live_server.url}/patients/{patient.pk}/tab/trends/?indicator=1558-6")
    page.wait_for_function(
        "() => { const c = echarts.getInstanceByDom(document.getElementById('trend-canvas'));"
        " return c && c.getOption().series[0].data.length === 5; }"
    )
    expect(page.locator(".trend-picker a.active")).to_have_attribute("data-code", "1558-6")

    page.reload()  # the pushed URL opens the same chart
    expect(page.locator("#trend-title")).to_contain_text("空腹血糖")
