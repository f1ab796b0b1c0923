"""Problems -> a CSV people can open in Excel to fix their file ("download the error report").

Written as it is read (`error_report_lines`), so a report of any length is served in constant memory.
Pure: no Django import.
"""

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from careloop.observations.importing.parsed import Problem

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


LINES_PER_PIECE = 500  # rows written before a piece is handed on: few pieces, each small


def error_report_lines(
    problems: Iterable[Problem], headers: Sequence[str] = HEADERS, footer: str = ""
) -> Iterator[bytes]:
    """The report in pieces: UTF-8 with BOM and the header first, then the rows a few hundred at a time,
    then `footer` (e.g. how many more were refused but not stored) alone on the last line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    yield codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
    written = 0
    for problem in problems:
        if written == 0:
            out.seek(0)
            out.truncate()
        writer.writerow(
            [
                _safe(_row_label(problem.location)),
                _safe(problem.field),
                _safe(problem.value),
                _safe(problem.reason),
            ]
        )
        written += 1
        if written == LINES_PER_PIECE:
            yield out.getvalue().encode("utf-8")
            written = 0
    if written:
        yield out.getvalue().encode("utf-8")
    if footer:
        out.seek(0)
        out.truncate()
        writer.writerow([_safe(footer)])
        yield out.getvalue().encode("utf-8")


def error_report_csv(
    problems: Iterable[Problem], headers: Sequence[str] = HEADERS, footer: str = ""
) -> bytes:
    """One line per problem: row (the number alone for "row N"), column, value, reason; UTF-8 with BOM.

    `headers` lets the view pass translated column titles.
    """
    return b"".join(error_report_lines(problems, headers, footer))
