"""Exam and lab results from CSV and Excel (.xlsx) uploads -> the neutral records of records.py.

    result = parse_table(data, source_system="HOSP-01", mapping={"id_number": "证件号码"})

Two layouts: "long" (one row per result, our template) and "wide" (one row per person and check,
one column per indicator, headers like "空腹血糖(mmol/L)"); detected from the header or given.
Headers are matched to our keys by a mapping {our key: their header} and, for the rest, by name
(columns.py). Parsing only: patient matching, indicator codes, units and plausibility are the
import pipeline's. Pure: no Django import.
"""

import datetime
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from careloop.observations.importing.limits import DEFAULT_LIMITS, TOO_LARGE, ImportLimits, too_large
from careloop.observations.importing.parsed import ParseResult, Problem, because
from careloop.observations.sources.tabular.columns import find_header_row, plan_columns
from careloop.observations.sources.tabular.error_report import error_report_csv, error_report_lines
from careloop.observations.sources.tabular.reading import (
    Unreadable,
    csv_rows,
    kind_of,
    within_limits,
    xlsx_rows,
)
from careloop.observations.sources.tabular.rows import Options, convert_rows
from careloop.observations.sources.tabular.template import template_csv, template_xlsx

__all__ = ["error_report_csv", "error_report_lines", "parse_table", "template_csv", "template_xlsx"]

HEADER_SEARCH_ROWS = 10
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


def parse_table(
    data: bytes,
    *,
    source_system: str,
    mrn_system: str | None = None,
    source_kind: str = "exam_report",
    mapping: dict[str, str] | None = None,
    layout: str = "auto",
    sheet: str | None = None,
    delimiter: str | None = None,
    tz: datetime.tzinfo = DEFAULT_TZ,
    default_time: datetime.datetime | None = None,
    ignore_columns: tuple[str, ...] = (),
    hash_key: bytes = b"",
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParseResult:
    """Parse an uploaded CSV or .xlsx (told apart by content) into ResultRecords, ReportRecords, Problems.

    source_system: the hospital's or the system's code, stable across re-imports (never the file's
    name: a result's identity must not depend on it). hash_key: the organization's index key, which
    the source ids that contain a resident ID number are keyed with (identity.py).
    mrn_system: the assigning authority of the MRN column; defaults to source_system.
    layout: "auto", "long" or "wide". sheet: a sheet name (.xlsx; default the first sheet).
    tz: the zone of times written without an offset. default_time: for rows without a time.
    ignore_columns: extra headers that are not indicators in the wide layout.
    limits: a file past one of them (rows, results, an .xlsx's unpacked size...) gives one "too_large"
    problem and nothing else.
    """
    if layout not in ("auto", "long", "wide"):
        raise ValueError(f"layout must be auto, long or wide, not {layout!r}")
    result = ParseResult()
    if default_time is not None and default_time.tzinfo is None:
        default_time = default_time.replace(tzinfo=tz)
    options = Options(
        source_system,
        source_system if mrn_system is None else mrn_system,
        source_kind,
        tz,
        hash_key,
        default_time,
    )
    try:
        read = xlsx_rows(data, sheet, limits) if kind_of(data) == "xlsx" else csv_rows(data, delimiter)
        rows = within_limits(read, limits, result)
        head = [next(rows, None) for _ in range(HEADER_SEARCH_ROWS)]
        head_rows = [row for row in head if row is not None]
        if not head_rows:
            result.problems.append(Problem("file", "", "", because("The file is empty."), "malformed"))
            return result
        at = find_header_row([cells for _n, cells in head_rows], mapping)
        header_number, header_cells = head_rows[at]
        headers = ["" if c is None else str(c).strip() for c in header_cells]
        plan, problems = plan_columns(
            headers, header_number, mapping, layout, ignore_columns, need_time=default_time is None
        )
        result.problems.extend(problems)
        if plan is None:
            return result

        def data_rows() -> Iterator[tuple[int, list[object]]]:
            yield from head_rows[at + 1 :]
            yield from rows

        convert_rows(data_rows(), plan, options, result)
    except Unreadable as error:
        if error.code == TOO_LARGE:
            return ParseResult(problems=[too_large(error.reason)])
        result.problems.append(Problem("file", "", "", error.reason, error.code))
    return result
