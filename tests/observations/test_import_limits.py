"""Bounded input: files past a limit are refused with a reason a clerk understands, before they cost
the worker what they would. Every bomb is made here, small, by tests/observations/bombs.py."""

import io
import re
import time
import tracemalloc
import zipfile
from dataclasses import replace

import pytest

from careloop.observations.importing.limits import (
    MAX_COLUMNS,
    ImportLimits,
    bundle_refusal,
    hl7_refusal,
    line_count,
    ndjson_refusal,
    size_text,
)
from careloop.observations.importing.parsed import ParseResult
from careloop.observations.sources import formats
from careloop.observations.sources.tabular import parse_table, template_xlsx
from careloop.observations.sources.tabular.archive import archive_refusal, declared_directory, declares_dtd
from careloop.observations.sources.tabular.reading import physical_lines
from tests.observations import bombs

ID_NUMBER = "110101199001011234"
LIMITS = ImportLimits()


def refusal_of(data: bytes, filename: str = "f.xlsx", limits: ImportLimits = LIMITS) -> ParseResult:
    chunks = list(formats.read_chunks(data, filename, "HOSP", {}, limits=limits))
    assert len(chunks) == 1
    return chunks[0]


def only_problem(result: ParseResult) -> tuple[str, str]:
    assert not result.results and not result.reports
    assert len(result.problems) == 1, result.problems
    return result.problems[0].code, result.problems[0].reason


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"", 0),
        (b"a", 1),
        (b"a\n", 1),
        (b"a\nb", 2),
        (b"a\r\nb\r\n", 2),
        (b"a\rb\rc\r", 3),
        (b"a\n\nb\n", 3),
    ],
)
def test_line_count_knows_every_line_end(data, lines):
    assert line_count(data) == lines


@pytest.mark.parametrize(
    ("size", "text"),
    [(10, "1 KB"), (18 * 1024, "18 KB"), (2_621_440, "2.5 MB"), (3 << 30, "3,072 MB")],
)
def test_sizes_read_as_a_clerk_reads_them(size, text):
    assert size_text(size) == text


def test_ndjson_with_more_lines_than_the_limit_is_refused_before_parsing():
    reason = ndjson_refusal(b"{}\n" * 11, replace(LIMITS, lines=10))
    assert reason == (
        "The file has 11 lines; one import reads at most 10. Split it into smaller files and import each."
    )
    assert ndjson_refusal(b"{}\n" * 10, replace(LIMITS, lines=10)) is None


def test_ndjson_line_too_long_to_parse_is_refused_with_its_number():
    data = b"{}\n" + b'{"a": "' + b"x" * (17 * 1024 * 1024) + b'"}\n'
    reason = ndjson_refusal(data, LIMITS)
    assert reason == "Line 2 is 17 MB long; a line (one resource) may be at most 16 MB."


def test_hl7_file_with_more_segments_than_the_row_limit_is_refused():
    message = (
        b"MSH|^~\\&|LIS|H|CL|C|20240305083000||ORU^R01|1|P|2.5\rPID|1||P1\rOBX|1|NM|1558-6||5.6|mmol/L\r"
    )
    assert hl7_refusal(message * 4, replace(LIMITS, rows=12)) is None
    reason = hl7_refusal(message * 5, replace(LIMITS, rows=12))
    assert reason is not None and reason.startswith("The file has 15 segments; one import reads at most 12.")


def test_bundle_larger_than_its_limit_is_refused():
    reason = bundle_refusal(b" " * (3 * 1024 * 1024), replace(LIMITS, bundle_bytes=2 * 1024 * 1024))
    assert reason is not None and reason.startswith("The FHIR Bundle is 3.0 MB; a Bundle is read whole")


@pytest.mark.parametrize(
    ("filename", "data", "start"),
    [
        ("a.ndjson", b"{}\n" * 6, "The file has 6 lines"),
        ("a.hl7", b"MSH|^~\\&|A\r" * 6, "The file has 6 segments"),
        ("a.json", b"{" + b" " * 2000 + b"}", "The FHIR Bundle is 2 KB"),
    ],
)
def test_read_chunks_refuses_a_file_past_its_limit_as_one_too_large_problem(filename, data, start):
    limits = replace(LIMITS, lines=5, rows=5, bundle_bytes=1024)
    code, reason = only_problem(refusal_of(data, filename, limits))
    assert code == "too_large" and reason.startswith(start)


# --- the .xlsx archive ---------------------------------------------------------------------------------


def test_an_ordinary_workbook_passes_the_archive_checks():
    assert archive_refusal(template_xlsx(), LIMITS) is None
    assert (
        archive_refusal(bombs.workbook(*bombs.repeated_rows(50, bombs.glucose_cells(ID_NUMBER))), LIMITS)
        is None
    )


def test_part_declaring_gigabytes_is_refused_by_its_declared_size():
    small = bombs.workbook(*bombs.repeated_rows(10, bombs.glucose_cells(ID_NUMBER)))
    data = bombs.declaring(small, bombs.SHEET, 3 << 30)
    assert len(data) < 4096
    code, reason = only_problem(parse_table(data, source_system="HOSP"))
    assert code == "too_large"
    assert reason == (
        "The workbook's part xl/worksheets/sheet1.xml unpacks to 3,072 MB; a part may unpack to at most "
        "256 MB. Split the workbook into smaller files."
    )


def test_part_inflating_past_the_size_it_declares_is_stopped_there_and_unreadable():
    real = bombs.workbook(*bombs.repeated_rows(200_000, bombs.glucose_cells(ID_NUMBER)))
    data = bombs.declaring(real, bombs.SHEET, 4096)  # inflates to 27 MB, says 4 KB
    tracemalloc.start()
    try:
        result = parse_table(data, source_system="HOSP")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.results
    assert [p.code for p in result.problems] == ["malformed"]
    assert "cannot be opened" in result.problems[0].reason
    assert peak < 20 * 1024 * 1024


def test_highly_compressed_part_is_refused_as_a_bomb_with_its_numbers():
    data = bombs.workbook(*bombs.repeated_rows(1_000_000, bombs.glucose_cells(ID_NUMBER)))
    assert len(data) < 1024 * 1024  # a million rows in under 1 MB
    started = time.perf_counter()
    code, reason = only_problem(parse_table(data, source_system="HOSP"))
    assert time.perf_counter() - started < 5
    assert code == "too_large"
    assert re.fullmatch(
        r"The workbook's part xl/worksheets/sheet1\.xml would unpack from \d+ KB to 199 MB \(2\d\d to 1\): "
        r"it looks like a decompression bomb\. Parts compressed more than 100 to 1 are refused\.",
        reason,
    )


def test_workbook_unpacking_to_more_than_the_total_limit_is_refused():
    data = bombs.workbook(*bombs.repeated_rows(20_000, bombs.glucose_cells(ID_NUMBER)))
    limits = replace(LIMITS, unpacked_bytes=1024 * 1024, ratio=10_000)
    code, reason = only_problem(parse_table(data, source_system="HOSP", limits=limits))
    assert code == "too_large" and reason.startswith(
        "The workbook unpacks to 4.0 MB; at most 1.0 MB is read."
    )


def test_shared_strings_of_half_a_gigabyte_are_refused_before_openpyxl_holds_them():
    data = bombs.workbook(bombs.repeated_rows(1, ["x"])[0], bombs.one_long_string(300))
    tracemalloc.start()
    try:
        code, reason = only_problem(parse_table(data, source_system="HOSP"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == "too_large" and "xl/sharedStrings.xml unpacks to 300 MB" in reason
    assert peak < 20 * 1024 * 1024


def test_archive_of_many_parts_is_refused_from_its_end_record_before_zipfile_lists_them():
    data = bombs.many_members(5_000)
    parts, directory_bytes = declared_directory(data) or (0, 0)
    assert parts == 5_000 and directory_bytes == pytest.approx(5_000 * 52, rel=0.1)
    tracemalloc.start()
    try:
        code, reason = only_problem(parse_table(data, source_system="HOSP"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == "too_large"
    assert reason == "The workbook has 5,000 parts; an .xlsx may have at most 1,000. Save it again as .xlsx."
    assert peak < 1024 * 1024  # zipfile's listing of 5,000 parts alone takes more


def test_zip64_end_record_is_read_for_its_part_count():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(3):
            with archive.open(f"m{index}", "w", force_zip64=True) as member:
                member.write(b"x")
    data = out.getvalue()
    assert declared_directory(data) is not None and declared_directory(data)[0] == 3  # type: ignore[index]
    assert declared_directory(b"not a zip") is None


def test_billion_laughs_sheet_is_refused_for_its_dtd():
    data = bombs.workbook(bombs.laughs())
    code, reason = only_problem(parse_table(data, source_system="HOSP"))
    assert code == "malformed"
    assert reason.startswith(
        "The workbook's part xl/worksheets/sheet1.xml declares an XML document type (DTD)"
    )


@pytest.mark.parametrize(
    ("document", "dtd"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', True),
        (b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://example.cn/a.dtd"><a/>', True),
        (b"<!-- " + b"c" * 200_000 + b" --><!DOCTYPE a><a/>", True),
        ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16"), True),
        (b'<?xml version="1.0"?><a><b>&lt;!DOCTYPE</b></a>', False),
        (b"\x89PNG\r\n\x1a\n binary", False),
        (b"", False),
    ],
)
def test_dtd_is_found_as_an_xml_parser_sees_it(document, dtd):
    assert declares_dtd(io.BytesIO(document)) is dtd


# --- rows, results and columns of a sheet --------------------------------------------------------------


def test_sheet_of_millions_of_styled_empty_rows_is_refused_as_a_bomb():
    data = bombs.workbook(bombs.styled_empty_rows(3_000_000, dimension=False), bombs.header_only_strings())
    assert len(data) < 200 * 1024
    started = time.perf_counter()
    code, reason = only_problem(parse_table(data, source_system="HOSP"))
    assert time.perf_counter() - started < 2
    assert code == "too_large" and "looks like a decompression bomb" in reason


def test_sheet_of_millions_of_styled_empty_rows_stops_at_the_row_limit():
    data = bombs.workbook(bombs.styled_empty_rows(3_000_000), bombs.header_only_strings())
    limits = replace(LIMITS, ratio=10_000)  # past the bomb check, to the row limit
    started = time.perf_counter()
    code, reason = only_problem(parse_table(data, source_system="HOSP", limits=replace(limits, rows=20_000)))
    assert time.perf_counter() - started < 5
    assert code == "too_large"
    assert reason == (
        "The sheet has more than 20,000 rows (empty rows count too); one import reads at most 20,000. "
        "Delete the empty rows at its end, or split it into smaller files."
    )


def test_csv_with_more_rows_than_the_limit_is_refused_whole():
    header = "身份证号,姓名,检查项目,结果,单位,检查时间\n"
    row = f"{ID_NUMBER},张三,空腹血糖,5.6,mmol/L,2024-03-05 08:30\n"
    lines = [
        row.replace("08:30", f"08:{minute % 60:02d}").replace("03-05", f"03-{1 + minute // 60:02d}")
        for minute in range(120)
    ]
    data = (header + "".join(lines)).encode()
    assert len(parse_table(data, source_system="HOSP", limits=replace(LIMITS, rows=121)).results) == 120
    code, reason = only_problem(parse_table(data, source_system="HOSP", limits=replace(LIMITS, rows=100)))
    assert code == "too_large" and reason.startswith("The sheet has more than 100 rows")


def test_wide_sheet_with_more_results_than_the_limit_is_refused():
    header = "身份证号,姓名,检查时间," + ",".join(f"项目{n}" for n in range(50)) + "\n"
    rows = [
        f"1101011990010{n:05d},张三,2024-03-05," + ",".join("5.6" for _ in range(50)) + "\n"
        for n in range(30)
    ]
    data = (header + "".join(rows)).encode()
    code, reason = only_problem(parse_table(data, source_system="HOSP", limits=replace(LIMITS, results=1000)))
    assert code == "too_large"
    assert reason == (
        "The file holds more than 1,000 results; one import reads at most 1,000. "
        "Split it into smaller files and import each."
    )


def test_empty_cells_far_right_are_ignored_and_a_value_there_is_refused():
    data = bombs.workbook(bombs.far_right_rows(3), bombs.header_only_strings())
    code, reason = only_problem(parse_table(data, source_system="HOSP"))
    assert code == "too_large"
    assert reason == (
        f"Row 2 has a value right of column ALL; only the first {MAX_COLUMNS:,} columns of a sheet are read. "
        "Move the data left, or split the sheet."
    )
    header = "身份证号,姓名,检查项目,结果,单位,检查时间"
    row = f"{ID_NUMBER},张三,空腹血糖,5.6,mmol/L,2024-03-05 08:30" + "," * 20_000
    result = parse_table(f"{header}\n{row}\n".encode(), source_system="HOSP")
    assert len(result.results) == 1 and not result.problems


@pytest.mark.parametrize(
    "text", ["", "x", "a\n", "a\nb\r\nc\rd", "\r\n\r\n", "a\r\rb\n\nc", 'a,"b\nc"\r\nd\n', "\n" * 5]
)
def test_csv_lines_are_split_as_the_csv_module_expects_them(text):
    assert list(physical_lines(text)) == list(io.StringIO(text, newline=""))


def test_csv_line_of_millions_of_commas_is_refused_before_it_is_split():
    data = "身份证号,姓名\n".encode() + b"," * 5_000_000 + b"\n"
    tracemalloc.start()
    try:
        code, reason = only_problem(parse_table(data, source_system="HOSP"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == "too_large" and reason == "Line 2 is 4.8 MB long; a CSV line may be at most 1.0 MB."
    assert peak < 15 * 1024 * 1024  # the text is 5 MB; its 5 M cells would be 40 MB of pointers


def test_a_refusal_of_the_whole_file_is_labelled_as_such():
    from django.utils import translation

    from careloop.observations.importing import problemkinds

    with translation.override("en"):
        assert problemkinds.location_text("file") == "the whole file"
        assert str(problemkinds.kind_label("too_large")) == "Too large"
