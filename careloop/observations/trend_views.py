"""The Trends tab of the patient page (历年指标趋势分析) and its chart endpoint.

One query reads the patient's results; `trendview` shapes them. The tab itself is rendered (and audited)
by the patient page; the chart endpoint, which swaps the chart when another indicator is picked, audits
its own read.
"""

from dataclasses import replace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.observations import catalogue, flags, trends, trendview
from careloop.observations.catalogue import Indicator
from careloop.observations.language import in_chinese
from careloop.observations.models import FLAGS, Observation
from careloop.patients.actions import record_view
from careloop.patients.models import Patient
from careloop.patients.scoping import patient_for_user

HIDDEN_STATUSES = ("cancelled", "entered-in-error")
CATEGORY_LABELS = {
    "vitals": _("Vital signs"),
    "glucose": _("Blood glucose"),
    "lipids": _("Blood lipids"),
    "renal": _("Kidney function"),
    "liver": _("Liver function"),
    "blood_count": _("Blood count"),
    "thyroid": _("Thyroid"),
    "urine": _("Urine"),
    "other": _("Other"),
}
WORD_LABELS = {
    trends.WORSENING: _("Worsening"),
    trends.NEWLY_ABNORMAL: _("Newly abnormal"),
    trends.PERSISTENTLY_ABNORMAL: _("Persistently abnormal"),
    trends.IMPROVING: _("Improving"),
}
UNIT_NAMES = {"{jin}": _("jin"), "{chi}": _("chi")}  # 市制 units: 斤, 尺 in Chinese


def _rows(patient: Patient, codes: tuple[str, ...] | None = None) -> list[trendview.Row]:
    """The patient's results as trendview rows: one query."""
    qs = Observation.objects.filter(patient_id=patient.pk, value__isnull=False).exclude(
        status__in=HIDDEN_STATUSES
    )
    if codes is not None:
        qs = qs.filter(code__in=codes)
    fields = (
        "code",
        "effective_at",
        "value",
        "flag",
        "comparator",
        "value_reported",
        "report_id",
        "source_kind",
    )
    return [
        trendview.Row(
            code=code,
            when=timezone.localtime(at),
            value=value,
            flag=flag,
            comparator=comparator,
            reported=reported,
            annual_check=report_id is not None or kind == "exam_report",
        )
        for code, at, value, flag, comparator, reported, report_id, kind in qs.values_list(*fields)
    ]


def _labelled_units(indicator: Indicator) -> list[dict[str, Any]]:
    return [
        {"token": o.token, "label": str(UNIT_NAMES.get(o.token, o.label)), "decimals": o.decimals}
        for o in trendview.unit_options(indicator)
    ]


def _chart(patient: Patient, indicator: Indicator, series: list[trendview.Row]) -> dict[str, Any]:
    """The chart area's context: chart JSON in every unit, per-unit summaries, labels for the script."""
    ref = flags.reference_range(indicator, patient.sex, patient.age())
    data = trendview.chart(indicator, series, ref, in_chinese())
    data["units"] = _labelled_units(indicator)
    data["flag_labels"] = {code: str(label) for code, label in FLAGS if code}
    summaries = [
        replace(summary, unit_label=unit["label"])
        for summary, unit in zip(trendview.summaries(indicator, series), data["units"], strict=True)
    ]
    return {
        "indicator": indicator,
        "chart": data,
        "summaries": summaries,
        "tab_url": reverse("patients:tab", args=[patient.pk, "trends"]),
    }


def trends_context(patient: Patient) -> dict[str, Any]:
    """The Trends tab: the picker, the chart of the first indicator, the year-over-year table."""
    rows = _rows(patient)
    grouped = trendview.group_rows(rows, catalogue.by_code)
    ordered = trendview.ordered_indicators(grouped, [i.code for i in catalogue.catalogue()])
    zh = in_chinese()
    flag_labels = dict(FLAGS)
    groups = [
        {
            "label": CATEGORY_LABELS.get(group.category, group.category),
            "items": [
                {
                    "item": item,
                    "flag_label": flag_labels.get(item.flag, ""),
                    "words": [(word, WORD_LABELS[word]) for word in item.words],
                }
                for item in group.items
            ],
        }
        for group in trendview.picker(grouped, ordered, zh)
    ]
    table = trendview.yoy_table(grouped, ordered, zh)
    yoy_rows = [
        {
            "row": row,
            "cells": [
                None if cell is None else {"cell": cell, "flag_label": flag_labels.get(cell.flag, "")}
                for cell in row.cells
            ],
        }
        for row in table.rows
    ]
    context = {
        "trend_groups": groups,
        "yoy_years": table.years,
        "yoy_rows": yoy_rows,
        "tab_url": reverse("patients:tab", args=[patient.pk, "trends"]),
    }
    if ordered:
        context.update(_chart(patient, ordered[0], grouped[ordered[0]]))
    return context


@login_required
def trend_chart(request: StaffRequest, patient_id: int) -> HttpResponseBase:
    """The chart area for `?indicator=CODE` (HTMX swap from the picker)."""
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    code = request.GET.get("indicator", "")
    indicator = catalogue.by_code(code)
    if not request.htmx:
        query = f"?indicator={indicator.code}" if indicator is not None else ""
        return redirect(reverse("patients:tab", args=[patient.pk, "trends"]) + query)
    record_view(request.user, patient, "trends")
    context: dict[str, Any] = {"patient": patient, "missing_code": code}
    if indicator is None:
        return render(request, "observations/trends_chart.html", context)
    series = trendview.group_rows(_rows(patient, (indicator.code, *indicator.alias_codes)), catalogue.by_code)
    if indicator in series:
        context.update(_chart(patient, indicator, series[indicator]))
    return render(request, "observations/trends_chart.html", context)
