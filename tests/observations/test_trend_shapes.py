"""Shaping one patient's results for the Trends tab (pure: no database)."""

from datetime import datetime

import pytest

from careloop.observations import catalogue
from careloop.observations.catalogue import RefRange
from careloop.observations.trends.chart import chart, summaries
from careloop.observations.trends.detection import Direction
from careloop.observations.trends.display import signed, unit_decimals, unit_options
from careloop.observations.trends.picker import picker
from careloop.observations.trends.series import Row, direction_for, group_rows, ordered_indicators
from careloop.observations.trends.yoy_table import yoy_table
from tests.observations.helpers import indicator

FPG = indicator("1558-6")
HBA1C = indicator("4548-4")
CREATININE = indicator("2160-0")
WEIGHT = indicator("29463-7")
SBP = indicator("8480-6")
URINE_PROTEIN = indicator("20454-5")
GLUCOSE_RANGE = RefRange("any", 18, None, 3.9, 6.1, True, "CDS 2020")


def yearly(
    code: str, values: list[float], flags: list[str] | None = None, first_year: int = 2021
) -> list[Row]:
    flags = flags or ["normal"] * len(values)
    return [
        Row(code, datetime(first_year + i, 3, 5, 8, 30), v, f, annual_check=True)
        for i, (v, f) in enumerate(zip(values, flags, strict=True))
    ]


@pytest.mark.parametrize(
    ("indicator", "token", "decimals"),
    [
        (FPG, "mmol/L", 2),
        (FPG, "mg/dL", 1),  # x18: one decimal fewer
        (CREATININE, "umol/L", 0),
        (CREATININE, "mg/dL", 2),  # /88.42: two decimals more
        (HBA1C, "mmol/mol", 0),
        (WEIGHT, "{jin}", 1),
        (WEIGHT, "g", 0),
    ],
)
def test_decimals_in_another_unit_follow_the_factor(indicator, token, decimals):
    assert unit_decimals(indicator, token) == decimals


def test_unit_options_put_the_canonical_unit_first_with_display_labels():
    options = unit_options(CREATININE)
    assert [(o.token, o.label) for o in options] == [
        ("umol/L", "μmol/L"),
        ("mg/dL", "mg/dL"),
        ("mmol/L", "mmol/L"),
    ]


def test_qualitative_indicator_has_one_unit_and_no_switch():
    assert len(unit_options(URINE_PROTEIN)) == 1


@pytest.mark.parametrize(
    ("code", "direction"),
    [
        ("8480-6", Direction.LOWER_IS_BETTER),
        ("2085-9", Direction.HIGHER_IS_BETTER),
        ("3016-3", Direction.IN_RANGE),
    ],
)
def test_direction_of_better(code, direction):
    assert direction_for(code) == direction


def test_chart_series_carries_every_point_in_both_units():
    data = chart(FPG, yearly("1558-6", [5.0, 5.5, 6.0, 6.5, 7.0]), GLUCOSE_RANGE, zh=True)
    assert data["name"] == "空腹血糖"
    assert [u["token"] for u in data["units"]] == ["mmol/L", "mg/dL"]
    assert [p["t"] for p in data["points"]] == [
        "2021-03-05",
        "2022-03-05",
        "2023-03-05",
        "2024-03-05",
        "2025-03-05",
    ]
    first = data["points"][0]["v"]
    assert first["mmol/L"] == 5.0
    assert first["mg/dL"] == pytest.approx(90.1, abs=0.05)  # 5.0 x 18.016


def test_hba1c_in_mmol_per_mol_uses_the_master_equation_offset():
    data = chart(HBA1C, yearly("4548-4", [6.5]), None, zh=False)
    assert data["points"][0]["v"]["mmol/mol"] == 48  # (6.5 - 2.15) x 10.929 = 47.5 -> 48


@pytest.mark.parametrize(
    ("ref", "band"),
    [
        (GLUCOSE_RANGE, {"mmol/L": [3.9, 6.1], "mg/dL": [70.3, 109.9]}),
        (RefRange("any", None, None, None, 6.1, True, "x"), {"mmol/L": [None, 6.1], "mg/dL": [None, 109.9]}),
        (None, None),
    ],
)
def test_reference_band_in_every_unit(ref, band):
    assert chart(FPG, yearly("1558-6", [5.0]), ref, zh=True)["band"] == band


def test_abnormal_points_are_marked():
    rows = yearly("1558-6", [5.0, 6.5, 2.5], ["normal", "high", "critical_low"])
    assert [p["abnormal"] for p in chart(FPG, rows, GLUCOSE_RANGE, zh=True)["points"]] == [False, True, True]


def test_unflagged_point_is_not_marked_abnormal():
    assert chart(FPG, yearly("1558-6", [5.0], [""]), None, zh=True)["points"][0]["abnormal"] is False


def test_qualitative_points_keep_the_reported_text():
    rows = [Row("20454-5", datetime(2024, 1, 1), 2.0, "high", reported="++")]
    assert chart(URINE_PROTEIN, rows, None, zh=True)["points"][0]["text"] == "++"


def test_summary_slope_scales_with_the_unit_and_p_value_does_not():
    rows = yearly("1558-6", [5.0, 5.5, 6.0, 6.5, 7.1])
    mmol, mgdl = summaries(FPG, rows)
    assert mmol.unit == "mmol/L" and mgdl.unit == "mg/dL"
    assert mmol.slope is not None and mgdl.slope is not None
    assert float(mmol.slope) == pytest.approx(0.52, abs=0.01)
    assert float(mgdl.slope) == pytest.approx(0.52 * 18.016, abs=0.2)
    assert mmol.p_value == mgdl.p_value == "<0.001"
    assert mmol.significant
    assert mmol.change_since_first == "+42.0"
    assert mmol.change_since_previous == "+9.2"


def test_summary_percent_change_with_an_offset_unit_is_taken_on_converted_values():
    rows = yearly("4548-4", [6.0, 7.0])
    percent, mmol_mol = summaries(HBA1C, rows)
    assert percent.change_since_first == "+16.7"
    assert mmol_mol.change_since_first == "+26.0"  # (53.0 - 42.1) / 42.1
    assert percent.p_value is None  # two points: no test


def test_summary_of_one_point_has_no_slope_or_change():
    (only, _) = summaries(FPG, yearly("1558-6", [5.0]))
    assert only.slope is None and only.change_since_first is None and only.n == 1


@pytest.mark.parametrize(
    ("value", "text"), [(0.351, "+0.35"), (-1.2, "-1.20"), (-0.001, "0.00"), (None, None)]
)
def test_signed_numbers(value, text):
    assert signed(value, 2) == text


def grouped(rows):
    return group_rows(rows, catalogue.by_code)


def test_rows_are_grouped_by_indicator_and_sorted_and_unknown_codes_dropped():
    rows = [
        Row("1558-6", datetime(2023, 1, 1), 6.0),
        Row("1558-6", datetime(2021, 1, 1), 5.0),
        Row("99999-9", datetime(2021, 1, 1), 1.0),
        Row("14771-0", datetime(2022, 1, 1), 5.5),  # an alias code of fasting glucose
    ]
    result = grouped(rows)
    assert list(result) == [FPG]
    assert [r.value for r in result[FPG]] == [5.0, 5.5, 6.0]


def test_picker_groups_by_category_with_latest_value_flag_and_trend_words():
    rows = (
        yearly("18262-6", [2.8, 3.0])  # LDL-C (lipids), listed after glucose
        + yearly("1558-6", [5.5, 6.5], ["normal", "high"])
        + yearly("8480-6", [150, 158, 152], ["high", "high", "high"])
    )
    groups = grouped(rows)
    ordered = ordered_indicators(groups, [i.code for i in catalogue.catalogue()])
    result = picker(groups, ordered, zh=False)
    assert [g.category for g in result] == ["vitals", "glucose", "lipids"]
    sbp, fpg, ldl = (g.items[0] for g in result)
    assert (sbp.latest, sbp.unit, sbp.abnormal) == ("152", "mmHg", True)
    assert sbp.words == ("persistently_abnormal",)
    assert (fpg.latest, fpg.flag) == ("6.50", "high")
    assert fpg.words == ("worsening", "newly_abnormal")  # +18 % step, lower is better
    assert ldl.words == ()  # +7 %: below the short-series step threshold
    assert fpg.name == "Fasting plasma glucose"


def test_year_over_year_rows_take_the_annual_check_and_arrows():
    rows = yearly("1558-6", [5.0, 5.1, 6.5, 6.0, 6.0], ["normal", "normal", "high", "normal", "normal"])
    rows.append(Row("1558-6", datetime(2023, 11, 1), 9.9, "high"))  # a later non-annual check in 2023
    rows += yearly("8480-6", [130, 150], first_year=2024)
    groups = grouped(rows)
    table = yoy_table(groups, ordered_indicators(groups, [i.code for i in catalogue.catalogue()]), zh=True)
    assert table.years == (2021, 2022, 2023, 2024, 2025)
    sbp, fpg = table.rows
    cells = [c for c in fpg.cells if c is not None]
    assert [c.value for c in cells] == ["5.00", "5.10", "6.50", "6.00", "6.00"]
    assert [c.arrow for c in cells] == ["", "→", "↑", "↓", "→"]
    assert [c.abnormal for c in cells] == [False, False, True, False, False]
    assert cells[2].flag == "high"
    assert sbp.cells[:3] == (None, None, None)
    assert [c and c.value for c in sbp.cells[3:]] == ["130", "150"]


def test_year_over_year_keeps_the_latest_years_only():
    groups = grouped(yearly("1558-6", [5.0] * 10, first_year=2010))
    table = yoy_table(groups, list(groups), zh=True, max_years=8)
    assert table.years == tuple(range(2012, 2020))
