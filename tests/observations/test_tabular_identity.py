"""A spreadsheet result's identity: from what it means, never from how the file was written."""

import datetime
import io
from collections.abc import Callable, Sequence

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from careloop.observations.sources.tabular import parse_table, template_xlsx
from careloop.observations.sources.tabular.identity import IDENTIFIER_AS_NUMBER, IDENTIFIER_KEYS
from careloop.observations.sources.tabular.template import TEXT_FORMAT, template_headers
from tests.observations.test_tabular import csv_bytes, xlsx_bytes

KEY = b"index-key-for-the-tests-0123456789"
ID_A = "11010519491231002X"
HEADER = ["身份证号", "姓名", "检查项目", "结果", "单位", "检查时间", "报告编号"]
ROWS: list[list[object]] = [
    [ID_A, "张三", "空腹血糖", "7.0", "mmol/L", "2024-03-05 08:00", "R1"],
    [ID_A, "张三", "总胆固醇", "5.1", "mmol/L", "2024-03-05 08:00", "R1"],
    [ID_A, "张三", "甘油三酯", "1.1", "mmol/L", "2024-03-05 08:30", "R1"],
]


def reorder_columns(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    order = [6, 2, 5, 3, 4, 1, 0]
    return [[row[i] for i in order] for row in rows]


def respell(row: list[object]) -> list[object]:
    id_number, name, indicator, value, unit, time, report = row
    when = datetime.datetime.fromisoformat(str(time))
    return [
        str(id_number).lower(),
        name,
        f" {indicator} ",
        f" {value}0",
        unit,
        f"{when.year}年{when.month}月{when.day}日 {when.hour}时{when.minute}分",
        report,
    ]


def as_xlsx_cells(row: list[object]) -> list[object]:
    id_number, name, indicator, value, unit, time, report = row
    return [
        id_number,
        name,
        indicator,
        float(str(value)),
        unit,
        datetime.datetime.fromisoformat(str(time)),
        report,
    ]


def as_wide(rows: list[list[object]]) -> bytes:
    """One row per person and time, one column per indicator with its unit in the header."""
    indicators = list(dict.fromkeys(str(row[2]) for row in rows))
    header = ["身份证号", "姓名", "检查时间", "报告编号", *(f"{name}(mmol/L)" for name in indicators)]
    wide: dict[tuple[object, ...], list[object]] = {}
    for id_number, name, indicator, value, _unit, time, report in rows:
        line = wide.setdefault((id_number, time), [id_number, name, time, report, *[""] * len(indicators)])
        line[4 + indicators.index(str(indicator))] = value
    return csv_bytes([header, *wide.values()])


VARIANTS: dict[str, Callable[[list[list[object]]], bytes]] = {
    "utf-8 csv": lambda rows: csv_bytes([HEADER, *rows], encoding="utf-8"),
    "gbk csv": lambda rows: csv_bytes([HEADER, *rows], encoding="gbk"),
    "utf-8 csv with bom": lambda rows: csv_bytes([HEADER, *rows], encoding="utf-8-sig"),
    "columns reordered": lambda rows: csv_bytes(reorder_columns([HEADER, *rows])),
    "rows reordered": lambda rows: csv_bytes([HEADER, *reversed(rows)]),
    "dates and numbers respelt": lambda rows: csv_bytes([HEADER, *(respell(row) for row in rows)]),
    "semicolons": lambda rows: csv_bytes([HEADER, *rows], delimiter=";"),
    "xlsx": lambda rows: xlsx_bytes([HEADER, *(as_xlsx_cells(row) for row in rows)]),
    "wide layout": as_wide,
}


def source_ids(data: bytes) -> dict[str, str]:
    result = parse_table(data, source_system="TJ-CENTRE", hash_key=KEY)
    assert result.problems == []
    return {record.code.strip(): record.source_id for record in result.results}


@pytest.mark.parametrize("variant", [name for name in VARIANTS if name != "utf-8 csv"])
@pytest.mark.parametrize("with_report", [True, False], ids=["report number", "no report number"])
def test_the_same_results_however_written_get_the_same_source_ids(variant, with_report):
    rows = ROWS if with_report else [[*row[:6], ""] for row in ROWS]
    expected = source_ids(VARIANTS["utf-8 csv"](rows))
    assert len(set(expected.values())) == 3
    assert source_ids(VARIANTS[variant](rows)) == expected


def test_the_source_id_depends_on_what_the_result_means():
    base = source_ids(csv_bytes([HEADER, ROWS[0]]))["空腹血糖"]
    other_time = [*ROWS[0][:5], "2024-03-05 08:01", "R1"]
    other_report = [*ROWS[0][:6], "R2"]
    other_indicator = [ID_A, "张三", "餐后血糖", "7.0", "mmol/L", "2024-03-05 08:00", "R1"]
    for row in (other_time, other_report, other_indicator):
        assert base not in source_ids(csv_bytes([HEADER, row])).values()


def test_a_report_number_identifies_the_result_whoever_the_row_names():
    by_id_number = source_ids(csv_bytes([HEADER, *ROWS]))
    header = ["病历号", "姓名", "检查项目", "结果", "单位", "检查时间", "报告编号"]
    by_mrn = source_ids(csv_bytes([header, *(["M-77", *row[1:]] for row in ROWS)]))
    assert by_mrn == by_id_number


def test_ids_with_an_id_number_are_keyed():
    rows = [[*row[:6], ""] for row in ROWS]
    keyed = source_ids(csv_bytes([HEADER, *rows]))
    other_key = parse_table(csv_bytes([HEADER, *rows]), source_system="TJ-CENTRE", hash_key=b"another key")
    assert not set(keyed.values()) & {record.source_id for record in other_key.results}


# --- identifiers that arrived as numbers -----------------------------------------------------------


def problems_of(data: bytes) -> list[tuple[str, str, str]]:
    result = parse_table(data, source_system="TJ-CENTRE", hash_key=KEY)
    assert result.results == []
    return [(p.location, p.field, p.code) for p in result.problems]


@pytest.mark.parametrize("number", [110105194912310020, 1.1010519491231002e17])
def test_an_id_number_in_a_numeric_excel_cell_is_refused_not_mangled(number):
    data = xlsx_bytes([HEADER, [number, "张三", "空腹血糖", 7.0, "mmol/L", "2024-03-05 08:00", "R1"]])
    assert problems_of(data) == [("row 2", "column A (身份证号)", IDENTIFIER_AS_NUMBER)]


@pytest.mark.parametrize(
    ("column", "written"),
    [(0, "1.10105E+17"), (0, "1.1010519491231002e+17"), (6, "20240305001.0"), (6, "2.02403E+10")],
)
def test_an_identifier_excel_wrote_out_as_a_number_in_a_csv_is_refused(column, written):
    row = list(ROWS[0])
    row[column] = written
    result = parse_table(csv_bytes([HEADER, row]), source_system="TJ-CENTRE", hash_key=KEY)
    assert result.results == []
    [problem] = result.problems
    assert (problem.location, problem.value, problem.code) == ("row 2", written, IDENTIFIER_AS_NUMBER)
    assert "Format the column as text" in problem.reason


@pytest.mark.parametrize("text", ["24E0012", "2E10001", "R1.0", "1.5", "00123", "M-7E+1"])
def test_identifiers_that_only_look_a_little_like_numbers_are_kept(text):
    row = list(ROWS[0])
    row[6] = text
    result = parse_table(csv_bytes([HEADER, row]), source_system="TJ-CENTRE", hash_key=KEY)
    assert result.problems == []
    assert [record.report_source_id for record in result.results] == [text]


def test_numeric_mrn_and_report_number_cells_are_refused_and_text_ones_kept():
    header = ["病历号", "检查项目", "结果", "检查时间", "报告编号"]
    data = xlsx_bytes(
        [
            header,
            [123, "空腹血糖", 7.0, "2024-03-05 08:00", "R1"],
            ["00123", "空腹血糖", 7.0, "2024-03-05 08:00", 20240305001],
            ["00123", "空腹血糖", 7.0, "2024-03-05 08:00", "20240305001"],
        ]
    )
    result = parse_table(data, source_system="TJ-CENTRE", hash_key=KEY)
    assert [(p.location, p.field, p.code) for p in result.problems] == [
        ("row 2", "column A (病历号)", IDENTIFIER_AS_NUMBER),
        ("row 3", "column E (报告编号)", IDENTIFIER_AS_NUMBER),
    ]
    [kept] = result.results
    assert (kept.patient.mrn, kept.report_source_id, kept.location) == ("00123", "20240305001", "row 4")


def test_a_wide_layout_row_with_a_numeric_id_number_is_refused():
    data = xlsx_bytes([["身份证号", "体检日期", "身高(cm)"], [110105194912310020, "2024-03-05", 170]])
    assert problems_of(data) == [("row 2", "column A (身份证号)", IDENTIFIER_AS_NUMBER)]


def test_the_templates_identifier_columns_are_formatted_as_text():
    sheet = openpyxl.load_workbook(io.BytesIO(template_xlsx())).active
    assert sheet is not None
    keys = [header.rsplit("(", 1)[1].rstrip(")") for header in template_headers()]
    formats = {
        key: sheet.column_dimensions[get_column_letter(at)].number_format for at, key in enumerate(keys, 1)
    }
    example = {key: cell.number_format for key, cell in zip(keys, sheet[2], strict=True)}
    identifiers = [key for key in keys if key in IDENTIFIER_KEYS]
    assert identifiers == ["id_number", "mrn", "source_id", "report_id"]
    assert {key: formats[key] for key in identifiers} == dict.fromkeys(identifiers, TEXT_FORMAT)
    assert {key: example[key] for key in identifiers} == dict.fromkeys(identifiers, TEXT_FORMAT)
    assert formats["value"] == example["value"] == "General"
