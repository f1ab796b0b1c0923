"""The Trends tab of the patient page (历年指标趋势分析): its data, read in one query and shaped by the pure
modules beside this one. The tab itself is rendered (and audited) by the patient page; the chart endpoint
(`careloop.observations.views.trends`) swaps the chart when another indicator is picked.
"""

from dataclasses import replace
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.roles import Perm
from careloop.observations import catalogue, flags
from careloop.observations.catalogue import Indicator
from careloop.observations.language import CATEGORY_LABELS, in_chinese
from careloop.observations.models import FLAGS, Observation
from careloop.observations.trends import chart, detection, display, picker, series, yoy_table
from careloop.patients.models import Patient
from careloop.patients.patient_tabs import Tab

HIDDEN_STATUSES = ("cancelled", "entered-in-error")
WORD_LABELS = {
    detection.WORSENING: _("Worsening"),
    detection.NEWLY_ABNORMAL: _("Newly abnormal"),
    detection.PERSISTENTLY_ABNORMAL: _("Persistently abnormal"),
    detection.IMPROVING: _("Improving"),
}
UNIT_NAMES = {"{jin}": _("jin"), "{chi}": _("chi")}  # 市制 units: 斤, 尺 in Chinese


def patient_rows(patient: Patient, codes: tuple[str, ...] | None = None) -> list[series.Row]:
    """The patient's results as series rows: one query."""
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
        series.Row(
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
        for o in display.unit_options(indicator)
    ]


def chart_context(patient: Patient, indicator: Indicator, rows: list[series.Row]) -> dict[str, Any]:
    """The chart area's context: chart JSON in every unit, per-unit summaries, labels for the script."""
    ref = flags.reference_range(indicator, patient.sex, patient.age())
    data = chart.chart(indicator, rows, ref, in_chinese())
    data["units"] = _labelled_units(indicator)
    data["flag_labels"] = {code: str(label) for code, label in FLAGS if code}
    summaries = [
        replace(summary, unit_label=unit["label"])
        for summary, unit in zip(chart.summaries(indicator, rows), data["units"], strict=True)
    ]
    return {
        "indicator": indicator,
        "chart": data,
        "summaries": summaries,
        "tab_url": reverse("patients:tab", args=[patient.pk, "trends"]),
    }


def trends_context(patient: Patient) -> dict[str, Any]:
    """The Trends tab: the picker, the chart of the first indicator, the year-over-year table."""
    rows = patient_rows(patient)
    grouped = series.group_rows(rows, catalogue.by_code)
    ordered = series.ordered_indicators(grouped, [i.code for i in catalogue.catalogue()])
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
        for group in picker.picker(grouped, ordered, zh)
    ]
    table = yoy_table.yoy_table(grouped, ordered, zh)
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
        context.update(chart_context(patient, ordered[0], grouped[ordered[0]]))
    return context


TRENDS_TAB = Tab("trends", _("Trends"), Perm.RECORD_VIEW, "observations/trends.html", trends_context)
