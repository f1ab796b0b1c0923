"""CSV and Excel uploads of exam results -> ResultRecords / ReportRecords / Problems (pure, no database)."""

import codecs
import csv
import datetime
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from careloop.observations.importing.parsed import Problem
from careloop.observations.sources.tabular import error_report_csv, parse_table, template_csv, template_xlsx
from careloop.observations.sources.tabular.columns import column_letter, normalize_header, split_unit
from careloop.observations.sources.tabular.dates import BadDate, parse_datetime_text
from careloop.observations.sources.tabular.reading import decode, sniff_delimiter
from careloop.observations.sources.tabular.template import EXAMPLE, template_headers

SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_A = "110101199003070011"
ID_B = "11010519600701002X"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Sequence[Sequence[object]], title: str = "Sheet1", extra_sheet: str | None = None
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    if extra_sheet:
        workbook.create_sheet(extra_sheet).append(["nothing here"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def parse(data: bytes, **options):
    return parse_table(data, source_system=options.pop("source_system", "HOSP-01"), **options)


# --- template -----------------------------------------------------------------------------------


def test_template_csv_has_bom_bilingual_headers_and_the_example_row():
    data = template_csv()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["身份证号 (id_number)", "病历号/体检号 (mrn)", "姓名 (name)"]
    assert rows[0][-1] == "总检结论 (conclusion)"
    assert len(rows[0]) == 15
    assert rows[1][rows[0].index("检查项目 (indicator)")] == "空腹血糖"


def test_template_xlsx_header_is_bold_with_widths_and_one_example_row():
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == template_headers()
    assert all(c.font.b for c in sheet[1])
    assert sheet.max_row == 2
    assert sheet["F2"].value == EXAMPLE["indicator"]
    assert sheet.column_dimensions["A"].width >= len("11010519491231002X")
    assert sheet.freeze_panes == "A2"


def test_filled_csv_template_parses_back_and_skips_the_untouched_example():
    text = template_csv().decode("utf-8-sig")
    text += f"{ID_A},TJ001,张三,男,1990-03-07,空腹血糖,6.2,mmol/L,2024-03-05 08:30,3.9-6.1,,R1,"
    text += "康宁体检中心,入职套餐,血糖偏高\r\n"
    text += f"{ID_A},TJ001,张三,男,1990-03-07,2345-7,120,mg/dL,2024-03-05 08:30,,LIS-9,R1,,,\r\n"
    result = parse(text.encode("utf-8-sig"))

    assert result.problems == []
    assert [(r.code, r.value, r.unit) for r in result.results] == [
        ("空腹血糖", "6.2", "mmol/L"),
        ("2345-7", "120", "mg/dL"),
    ]
    first, second = result.results
    assert first.patient.id_number == ID_A
    assert first.patient.mrn == "TJ001" and first.patient.mrn_system == "HOSP-01"
    assert first.patient.sex == "male" and first.patient.birth_date == datetime.date(1990, 3, 7)
    assert first.effective_at == at(2024, 3, 5, 8, 30)
    assert first.reference_range == "3.9-6.1"
    assert first.source_kind == "exam_report" and first.source_system == "HOSP-01"
    assert first.location == "row 3"
    assert second.source_id == "LIS-9"
    assert first.report_source_id == second.report_source_id == "R1"
    [report] = result.reports
    assert (report.source_id, report.institution, report.package, report.conclusion) == (
        "R1",
        "康宁体检中心",
        "入职套餐",
        "血糖偏高",
    )
    assert report.issued_at == at(2024, 3, 5, 8, 30)


def test_filled_xlsx_template_parses_back():
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [ID_B, "", "李四", "女", datetime.date(1960, 7, 1), "HbA1c", 6.5, "%", datetime.datetime(2024, 3, 5)]
    )
    out = io.BytesIO()
    workbook.save(out)
    result = parse(out.getvalue())
    assert result.problems == []
    [record] = result.results
    assert (record.code, record.value, record.unit, record.location) == ("HbA1c", "6.5", "%", "row 3")
    assert record.patient.sex == "female" and record.patient.birth_date == datetime.date(1960, 7, 1)
    assert record.effective_at == at(2024, 3, 5)
    assert result.reports == []  # no report column filled: no report made up


# --- encodings, delimiters, hospital exports ---------------------------------------------------


def test_gb18030_csv_with_chinese_hospital_headers():
    rows = [
        ["证件号码", "病人ID", "姓名", "检验项目", "结果值", "单位", "参考值", "采样时间", "报告时间"],
        [ID_A, "P001", "张三", "葡萄糖", "7.1", "mmol/L", "3.9-6.1", "2024/3/5 8:05", "2024/3/5 15:00"],
        [ID_B, "P002", "李四", "肌酐", "88", "μmol/L", "57-97", "2024年3月6日", "2024年3月7日"],
    ]
    data = csv_bytes(rows, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = parse(data)
    assert result.problems == []
    assert [(r.patient.id_number, r.patient.mrn, r.code, r.value, r.unit) for r in result.results] == [
        (ID_A, "P001", "葡萄糖", "7.1", "mmol/L"),
        (ID_B, "P002", "肌酐", "88", "μmol/L"),
    ]
    # The sample time wins over the report time: it is when the value was true.
    assert [r.effective_at for r in result.results] == [at(2024, 3, 5, 8, 5), at(2024, 3, 6)]
    assert result.results[1].patient.name == "李四"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_detected(delimiter):
    rows = [
        ["id_number", "indicator", "value", "unit", "time"],
        [ID_A, "TC", "5,2", "mmol/L", "2024-03-05"],  # a decimal comma stays in the value as sent
        [ID_B, "TG", "1.7", "mmol/L", "2024-03-05"],
    ]
    result = parse(csv_bytes(rows, delimiter=delimiter))
    assert result.problems == []
    assert [(r.code, r.value) for r in result.results] == [("TC", "5,2"), ("TG", "1.7")]


def test_utf16_excel_unicode_text_export_is_read():
    rows = [["身份证号", "检查项目", "结果", "检查时间"], [ID_A, "身高", "170", "2024-03-05"]]
    result = parse(csv_bytes(rows, encoding="utf-16", delimiter="\t"))
    assert [(r.code, r.value) for r in result.results] == [("身高", "170")]


def test_title_rows_above_the_header_are_skipped_and_row_numbers_stay_true():
    rows = [
        ["某某医院体检结果导出"],
        ["导出时间: 2024-03-08"],
        ["身份证号", "检查项目", "结果", "检查时间"],
        [ID_A, "身高", "170", "2024-03-05"],
        [ID_A, "体重", "", "2024-03-05"],
    ]
    result = parse(csv_bytes(rows))
    assert [r.location for r in result.results] == ["row 4"]
    assert result.problems == [Problem("row 5", "column C (结果)", "", "No result value.", "missing")]


# --- wide layout -------------------------------------------------------------------------------


def test_wide_layout_one_column_per_indicator_with_units_in_headers():
    rows: list[list[object]] = [
        [
            "序号",
            "体检号",
            "姓名",
            "手机号",
            "体检日期",
            "空腹血糖(mmol/L)",
            "收缩压（mmHg）",  # noqa: RUF001
            "糖化血红蛋白(HbA1c)",
            "总检结论",
        ],
        [1, "TJ1", "张三", "13800138000", "2024-03-05", "5.8", "128", "", "未见异常"],
        [2, "TJ2", "李四", "13900139000", "2024-03-06", "7.2", "", "6.9", ""],
    ]
    result = parse(csv_bytes(rows))
    assert result.problems == []
    assert [(r.patient.mrn, r.code, r.value, r.unit, r.location) for r in result.results] == [
        ("TJ1", "空腹血糖", "5.8", "mmol/L", "row 2 / column F"),  # a wide row's result names its cell
        ("TJ1", "收缩压", "128", "mmHg", "row 2 / column G"),
        ("TJ2", "空腹血糖", "7.2", "mmol/L", "row 3 / column F"),
        ("TJ2", "糖化血红蛋白(HbA1c)", "6.9", "", "row 3 / column H"),
    ]
    assert not any("138001" in r.value for r in result.results)  # the phone column is not a result
    # Only the first person's check has a conclusion: one report, and only that person's results in it.
    [report] = result.reports
    assert report.conclusion == "未见异常" and report.patient.mrn == "TJ1"
    assert [bool(r.report_source_id) for r in result.results] == [True, True, False, False]


def test_wide_layout_from_xlsx_and_forced_by_the_caller():
    rows: list[list[object]] = [
        ["身份证号", "检查日期", "BMI(kg/m2)", "腰围(cm)"],
        [ID_A, datetime.datetime(2024, 3, 5, 9, 0), 23.4, 82],
    ]
    result = parse(xlsx_bytes(rows), layout="wide")
    assert [(r.code, r.value, r.unit) for r in result.results] == [
        ("BMI", "23.4", "kg/m2"),
        ("腰围", "82", "cm"),
    ]
    assert {r.effective_at for r in result.results} == {at(2024, 3, 5, 9, 0)}


def test_wide_layout_leaves_out_columns_the_caller_names():
    rows = [["体检号", "体检日期", "血型", "身高(cm)"], ["TJ1", "2024-03-05", "A", "170"]]
    assert [r.code for r in parse(csv_bytes(rows)).results] == ["血型", "身高"]
    assert [r.code for r in parse(csv_bytes(rows), ignore_columns=("血型",)).results] == ["身高"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("空腹血糖(mmol/L)", ("空腹血糖", "mmol/L")),
        ("空腹血糖（mmol/L）", ("空腹血糖", "mmol/L")),  # noqa: RUF001
        ("收缩压(mmHg)", ("收缩压", "mmHg")),
        ("体重(斤)", ("体重", "斤")),
        ("白细胞(×10^9/L)", ("白细胞", "×10^9/L")),  # noqa: RUF001
        ("糖化血红蛋白(%)", ("糖化血红蛋白", "%")),
        ("糖化血红蛋白(HbA1c)", ("糖化血红蛋白(HbA1c)", "")),
        ("ALT", ("ALT", "")),
        ("(mmol/L)", ("(mmol/L)", "")),
    ],
)
def test_split_unit_reads_a_bracket_as_unit_only_when_it_looks_like_one(header, expected):
    assert split_unit(header) == expected


# --- mapping -----------------------------------------------------------------------------------


HOSPITAL_EXPORT = [
    ["Pat No", "ID Card No.", "Item", "Res", "Res Unit", "Collected"],
    ["H-77", ID_A, "GLU", "6.0", "mmol/L", "2024-03-05 07:50"],
]


def test_mapping_of_a_hospitals_own_headers_is_case_and_space_insensitive():
    mapping = {
        "mrn": "pat no",
        "id_number": "ID CARD NO.",
        "indicator": "item",
        "value": "RES",
        "unit": "res unit",
        "time": "collected",
    }
    result = parse(csv_bytes(HOSPITAL_EXPORT), mapping=mapping, mrn_system="HIS-A")
    assert result.problems == []
    [record] = result.results
    assert (record.patient.mrn, record.patient.mrn_system, record.patient.id_number) == (
        "H-77",
        "HIS-A",
        ID_A,
    )
    assert (record.code, record.value, record.unit) == ("GLU", "6.0", "mmol/L")
    assert record.effective_at == at(2024, 3, 5, 7, 50)


def test_mapping_matches_full_width_brackets_and_leaves_the_rest_to_auto_detection():
    rows = [["证件号码", "项目名称", "结果（数值）", "报告时间"], [ID_A, "TSH", "2.1", "2024-03-05"]]  # noqa: RUF001
    result = parse(csv_bytes(rows), mapping={"value": "结果(数值)"})
    assert result.problems == []
    assert [(r.code, r.value) for r in result.results] == [("TSH", "2.1")]


def test_mapping_to_a_header_not_in_the_file_names_the_header_and_stops():
    mapping = {"indicator": "Item", "value": "Result Value", "time": "Collected", "mrn": "Pat No"}
    result = parse(csv_bytes(HOSPITAL_EXPORT), mapping=mapping)
    assert result.results == []
    [problem] = result.problems
    assert (problem.location, problem.field, problem.value, problem.code) == (
        "row 1",
        "header",
        "Result Value",
        "missing_column",
    )
    assert "'Result Value'" in problem.reason and "Res Unit" in problem.reason


def test_mapping_with_an_unknown_key_is_reported():
    mapping = {"patient": "Pat No", "mrn": "Pat No", "indicator": "Item", "value": "Res", "time": "Collected"}
    result = parse(csv_bytes(HOSPITAL_EXPORT), mapping=mapping)
    assert len(result.results) == 1
    assert [(p.location, p.field, p.code) for p in result.problems] == [("mapping", "patient", "unknown_key")]


def test_file_without_an_identifier_column_gets_one_clear_problem():
    rows = [["姓名", "检查项目", "结果", "检查时间"], ["张三", "身高", "170", "2024-03-05"]]
    result = parse(csv_bytes(rows))
    assert result.results == []
    [problem] = result.problems
    assert problem.code == "missing_column" and "ID number or MRN" in problem.reason


# --- refused rows ------------------------------------------------------------------------------


def test_two_bad_rows_among_good_ones_keep_the_good_and_name_row_and_column():
    rows = [
        ["身份证号", "病历号", "检查项目", "结果", "单位", "检查时间"],
        [ID_A, "", "TC", "5.1", "mmol/L", "2024-03-05"],
        ["", "", "TG", "1.2", "mmol/L", "2024-03-05"],
        [],
        [ID_B, "", "LDL-C", "3.0", "mmol/L", "2024-02-30"],
        [ID_B, "", "HDL-C", "1.3", "mmol/L", "2024-03-05"],
    ]
    result = parse(csv_bytes(rows))
    assert [(r.code, r.location) for r in result.results] == [("TC", "row 2"), ("HDL-C", "row 6")]
    assert [(p.location, p.field, p.value, p.code) for p in result.problems] == [
        ("row 3", "column A (身份证号)", "", "missing"),
        ("row 5", "column F (检查时间)", "2024-02-30", "bad_date"),
    ]
    assert "day is out of range" in result.problems[1].reason


def test_a_row_with_several_faults_reports_each_of_them():
    rows = [["身份证号", "检查项目", "结果", "检查时间", "出生日期"], ["", "", "", "soon", "31/12/1960"]]
    result = parse(csv_bytes(rows))
    assert [(p.field, p.code) for p in result.problems] == [
        ("column A (身份证号)", "missing"),
        ("column D (检查时间)", "bad_date"),
        ("column E (出生日期)", "bad_date"),
        ("column B (检查项目)", "missing"),
        ("column C (结果)", "missing"),
    ]


def test_rows_without_time_take_the_callers_default_time():
    rows = [
        ["身份证号", "检查项目", "结果", "检查时间"],
        [ID_A, "身高", "170", ""],
        [ID_A, "体重", "60", "2024-03-06"],
    ]
    result = parse(csv_bytes(rows), default_time=at(2024, 3, 5))
    assert [r.effective_at for r in result.results] == [at(2024, 3, 5), at(2024, 3, 6)]


def test_a_file_without_time_column_needs_a_default_time_which_is_made_aware():
    rows = [["身份证号", "检查项目", "结果"], [ID_A, "身高", "170"]]
    [problem] = parse(csv_bytes(rows)).problems
    assert problem.code == "missing_column" and problem.reason == "No column for the time in the header row."
    result = parse(csv_bytes(rows), default_time=datetime.datetime(2024, 3, 5, 9))
    assert result.problems == []
    assert result.results[0].effective_at == at(2024, 3, 5, 9)


def test_second_row_with_same_patient_indicator_and_time_is_reported_as_duplicate():
    rows = [
        ["身份证号", "检查项目", "结果", "检查时间"],
        [ID_A, "收缩压", "130", "2024-03-05"],
        [ID_A, " 收缩压 ", "126", "2024-03-05 00:00"],
    ]
    result = parse(csv_bytes(rows))
    assert [r.value for r in result.results] == ["130"]
    [problem] = result.problems
    assert (problem.location, problem.field, problem.value, problem.code) == (
        "row 3",
        "column C (结果)",
        "126",
        "duplicate",
    )
    assert "row 2" in problem.reason


# --- xlsx dates --------------------------------------------------------------------------------


def test_xlsx_with_real_dates_text_dates_and_serial_numbers():
    rows: list[list[object]] = [
        ["身份证号", "检查项目", "结果", "检查时间", "出生日期"],
        [ID_A, "A", 1, datetime.datetime(2024, 3, 5, 8, 30), datetime.date(1990, 3, 7)],
        [ID_A, "B", 2.5, "2024/3/5", "1990年3月7日"],
        [ID_A, "C", 3, "2024年3月5日 9时15分", "19900307"],
        [ID_A, "D", 4, 45356.5, None],  # a date cell that lost its date format: serial number
        [ID_A, "E", 5, "2024.13.01", None],
    ]
    result = parse(xlsx_bytes(rows))
    assert [(r.code, r.value, r.effective_at) for r in result.results] == [
        ("A", "1", at(2024, 3, 5, 8, 30)),
        ("B", "2.5", at(2024, 3, 5)),
        ("C", "3", at(2024, 3, 5, 9, 15)),
        ("D", "4", at(2024, 3, 5, 12, 0)),
    ]
    assert {r.patient.birth_date for r in result.results[:3]} == {datetime.date(1990, 3, 7)}
    assert [(p.location, p.field, p.value, p.code) for p in result.problems] == [
        ("row 6", "column D (检查时间)", "2024.13.01", "bad_date")
    ]


def test_xlsx_named_sheet_and_missing_sheet():
    rows: list[list[object]] = [
        ["身份证号", "检查项目", "结果", "检查时间"],
        [ID_A, "身高", 170, "2024-03-05"],
    ]
    data = xlsx_bytes(rows, title="结果", extra_sheet="说明")
    assert [r.value for r in parse(data, sheet="结果").results] == ["170"]
    assert parse(data, sheet="说明").results == []
    [problem] = parse(data, sheet="nope").problems
    assert problem.code == "malformed" and "'nope'" in problem.reason and "结果" in problem.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04 not really a zip", "cannot be opened"),
    ],
)
def test_unreadable_files_give_one_malformed_problem(data, reason):
    result = parse(data)
    assert result.results == []
    [problem] = result.problems
    assert problem.code == "malformed" and reason in problem.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", datetime.datetime(2024, 3, 5)),
        ("2024/3/5", datetime.datetime(2024, 3, 5)),
        ("2024.3.5", datetime.datetime(2024, 3, 5)),
        ("20240305", datetime.datetime(2024, 3, 5)),
        ("2024年3月5日", datetime.datetime(2024, 3, 5)),
        ("2024/3/5 8:30", datetime.datetime(2024, 3, 5, 8, 30)),
        ("2024-03-05 08:30:15", datetime.datetime(2024, 3, 5, 8, 30, 15)),
        ("2024-03-05T08:30:15.250", datetime.datetime(2024, 3, 5, 8, 30, 15, 250000)),
        ("2024年3月5日 8时30分", datetime.datetime(2024, 3, 5, 8, 30)),
        ("2024年3月5日 8:30:15.5", datetime.datetime(2024, 3, 5, 8, 30, 15, 500000)),
        (
            "2024-03-05T08:30:00+08:00",
            datetime.datetime(2024, 3, 5, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
        ),
    ],
)
def test_date_text_formats(text, expected):
    assert parse_datetime_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["05/03/2024", "2024-02-30", "2024-3", "yesterday", "2024-03-05 25:00", "1899-12-31", "2024-03-05.5"],
)
def test_bad_date_texts_are_refused(text):
    with pytest.raises(BadDate):
        parse_datetime_text(text)


def test_naive_times_are_local_to_the_given_zone_and_offsets_are_kept():
    rows = [
        ["身份证号", "检查项目", "结果", "检查时间"],
        [ID_A, "A", "1", "2024-03-05 08:00"],
        [ID_A, "B", "1", "2024-03-05T08:00:00Z"],
    ]
    first, second = parse(csv_bytes(rows), tz=datetime.UTC).results
    assert first.effective_at == datetime.datetime(2024, 3, 5, 8, tzinfo=datetime.UTC)
    assert second.effective_at == datetime.datetime(2024, 3, 5, 8, tzinfo=datetime.UTC)


# --- idempotence -------------------------------------------------------------------------------


LONG = [
    ["身份证号", "病历号", "检查项目", "结果", "单位", "检查时间"],
    [ID_A, "", "TC", "5.1", "mmol/L", "2024-03-05 08:00"],
    ["", "M9", "TC", "5.1", "mmol/L", "2024-03-05 08:00"],
    [ID_B, "", "TC", "4.4", "mmol/L", "2024-03-05 08:00"],
    [ID_B, "", "TG", "1.1", "mmol/L", "2024-03-05 08:00"],
]


def ids(data: bytes, **options) -> dict[tuple[str, str, str], str]:
    return {
        (r.patient.id_number or r.patient.mrn, r.code, r.value): r.source_id
        for r in parse(data, **options).results
    }


def test_same_file_parsed_twice_gives_the_same_source_ids():
    first, second = ids(csv_bytes(LONG)), ids(csv_bytes(LONG))
    assert first == second
    assert len(set(first.values())) == 4  # and they differ between results


def test_source_ids_survive_reordering_re_encoding_and_corrected_values():
    reordered = [LONG[0], LONG[4], LONG[3], LONG[2], [ID_A, "", "TC", "5.3", "mmol/L", "2024/3/5 8:00"]]
    before = ids(csv_bytes(LONG))
    after = ids(csv_bytes(reordered, encoding="gb18030"))
    assert after[(ID_A, "TC", "5.3")] == before[(ID_A, "TC", "5.1")]  # corrected value: same id -> update
    assert after[(ID_B, "TG", "1.1")] == before[(ID_B, "TG", "1.1")]
    assert after[("M9", "TC", "5.1")] == before[("M9", "TC", "5.1")]


def test_source_ids_change_with_the_hash_key():
    assert ids(csv_bytes(LONG)) != ids(csv_bytes(LONG), hash_key=b"org-secret")


def test_xlsx_and_csv_of_the_same_results_give_the_same_ids():
    rows: list[Sequence[object]] = [
        LONG[0],
        [ID_A, "", "TC", 5.1, "mmol/L", datetime.datetime(2024, 3, 5, 8, 0)],
    ]
    assert set(ids(xlsx_bytes(rows)).values()) == {ids(csv_bytes(LONG))[(ID_A, "TC", "5.1")]}


# --- reports -----------------------------------------------------------------------------------


def test_results_group_into_one_report_per_report_id():
    rows = [
        ["身份证号", "检查项目", "结果", "检查时间", "报告编号", "体检机构", "总检结论"],
        [ID_A, "TC", "5.1", "2024-03-05 08:00", "R1", "", ""],
        [ID_A, "TG", "1.1", "2024-03-05 09:00", "R1", "康宁", "血脂正常"],
        [ID_B, "TG", "1.9", "2024-03-05 08:00", "R2", "", ""],
    ]
    result = parse(csv_bytes(rows))
    assert [(r.source_id, r.institution, r.conclusion, r.issued_at, r.location) for r in result.reports] == [
        ("R1", "康宁", "血脂正常", at(2024, 3, 5, 9, 0), "row 2"),
        ("R2", "", "", at(2024, 3, 5, 8, 0), "row 4"),
    ]
    assert [r.report_source_id for r in result.results] == ["R1", "R1", "R2"]


def test_without_report_id_the_conclusion_makes_one_report_per_person_and_day():
    rows = [
        ["身份证号", "检查项目", "结果", "检查时间", "总检结论"],
        [ID_A, "TC", "5.1", "2024-03-05 08:00", ""],
        [ID_A, "TG", "1.1", "2024-03-05 09:00", "血脂正常"],
        [ID_A, "TG", "1.3", "2024-09-01", ""],
    ]
    result = parse(csv_bytes(rows))
    [report] = result.reports
    assert report.conclusion == "血脂正常"
    assert [r.report_source_id for r in result.results] == [report.source_id, report.source_id, ""]
    assert parse(csv_bytes(rows)).reports[0].source_id == report.source_id


# --- small pure pieces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "normalized"),
    [
        (" 身份证号 ", "身份证号"),
        ("ID_Number", "idnumber"),
        ("id number", "idnumber"),
        ("*检查时间", "检查时间"),
        ("空腹血糖（mmol/L）", "空腹血糖(mmol/l)"),  # noqa: RUF001
        ("ＬＤＬ－Ｃ", "ldlc"),  # noqa: RUF001
        (None, ""),
    ],
)
def test_normalize_header(header, normalized):
    assert normalize_header(header) == normalized


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ")]
)
def test_column_letter(index, letter):
    assert column_letter(index) == letter


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("身份证号".encode("utf-8-sig"), "utf-8-sig"),
        ("身份证号".encode(), "utf-8"),
        ("身份证号".encode("gb18030"), "gb18030"),
        ("身份证号".encode("utf-16"), "utf-16"),
    ],
)
def test_decode_detects_the_encoding(data, encoding):
    assert decode(data) == ("身份证号", encoding)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [("a,b,c\n1,2,3", ","), ("a;b;c\n1;2;3", ";"), ("a\tb\tc", "\t"), ("title only", ",")],
)
def test_sniff_delimiter(text, delimiter):
    assert sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("sex", "expected"), [("男", "male"), ("F", "female"), ("2", "female"), ("未知", "unknown")]
)
def test_sex_is_read_as_fhir_gender(sex, expected):
    rows = [["身份证号", "性别", "检查项目", "结果", "检查时间"], [ID_A, sex, "身高", "170", "2024-03-05"]]
    assert parse(csv_bytes(rows)).results[0].patient.sex == expected


# --- error report ------------------------------------------------------------------------------


def test_error_report_csv_lists_row_column_value_reason_with_bom():
    problems = [
        Problem("row 3", "column A (身份证号)", "", "No patient identifier.", "missing"),
        Problem("row 5", "column F (检查时间)", "2024-02-30", "Not a date.", "bad_date"),
        Problem("row 7", "column C (结果)", '=HYPERLINK("http://x")', "Odd.", "invalid"),
        Problem("row 8", "column C (结果)", "-5", "Negative.", "implausible"),
        Problem("mapping", "patient", "Pat No", "Unknown key.", "unknown_key"),
    ]
    data = error_report_csv(problems)
    assert data.startswith(codecs.BOM_UTF8)
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [
        ["row", "column", "value", "reason"],
        ["3", "column A (身份证号)", "", "No patient identifier."],
        ["5", "column F (检查时间)", "2024-02-30", "Not a date."],
        ["7", "column C (结果)", '\'=HYPERLINK("http://x")', "Odd."],
        ["8", "column C (结果)", "-5", "Negative."],
        ["mapping", "patient", "Pat No", "Unknown key."],
    ]


def test_error_report_of_a_parse_takes_translated_headers():
    rows = [["身份证号", "检查项目", "结果", "检查时间"], ["", "身高", "170", "2024-03-05"]]
    data = error_report_csv(parse(csv_bytes(rows)).problems, headers=("行", "列", "值", "原因"))
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "行,列,值,原因"
    assert lines[1].startswith("2,column A (身份证号),,No patient identifier")
