"""Problems -> a CSV people can open in Excel to fix their file ("download the error report").

Pure: no Django import.
"""

import codecs
import csv
import io
from collections.abc import Iterable, Sequence

from careloop.observations.records import Problem

HEADERS = ("row", "column", "value", "reason")
_FORMULA_START = ("=", "@", "\t", "\r")


def _safe(text: str) -> str:
    """Keep a cell from being run as a formula when Excel opens the report (CSV injection, OWASP).

    A value from the uploaded file is echoed back, so "=HYPERLINK(...)" must stay text. Signed
    numbers ("-5", "+1.2") are left as they are.
    """
    if text.startswith(_FORMULA_START):
        return "'" + text
    if text.startswith(("+", "-")):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _row_label(location: str) -> str:
    return location[4:] if location.startswith("row ") else location


def error_report_csv(problems: Iterable[Problem], headers: Sequence[str] = HEADERS) -> bytes:
    """One line per problem: row (the number alone for "row N"), column, value, reason; UTF-8 with BOM.

    `headers` lets the view pass translated column titles.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for problem in problems:
        writer.writerow(
            [
                _safe(_row_label(problem.location)),
                _safe(problem.field),
                _safe(problem.value),
                _safe(problem.reason),
            ]
        )
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
