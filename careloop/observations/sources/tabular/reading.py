"""Bytes of an upload -> rows of cells, with the spreadsheet's own row numbers.

CSV: the encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM as Excel's "Unicode text",
else GB18030 — the superset of GBK/GB2312 that Windows exports in China use) and the delimiter
(",", ";" or tab) is the one that appears most in the first lines. xlsx: openpyxl in read-only mode,
first sheet or a named one; cells keep their types (numbers, datetimes for date-formatted cells); the
archive is checked first (archive.py). A file past a limit raises Unreadable with code "too_large".
Pure: no Django import.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError

from careloop.observations.importing.limits import (
    DEFAULT_LIMITS,
    MAX_COLUMNS,
    MAX_CSV_LINE_CHARACTERS,
    TOO_LARGE,
    ImportLimits,
    count,
    results_refusal,
    rows_refusal,
    size_text,
)
from careloop.observations.importing.parsed import ParseResult, Reason, because
from careloop.observations.sources.tabular.archive import archive_refusal
from careloop.observations.sources.tabular.columns import column_letter

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted .xlsx)
DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 20


class Unreadable(ValueError):
    """The file itself cannot be read; `reason` says why and what to do (str(error) is its English).

    `code` is the problem's kind: "malformed", or "too_large" for a file past a limit (then nothing of
    it is imported)."""

    def __init__(self, reason: Reason, code: str = "malformed"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


def kind_of(data: bytes) -> str:
    """ "xlsx" or "csv", by content (the file name may lie)."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        raise Unreadable(
            because(
                "This is an old .xls workbook or an encrypted one; save it as .xlsx or CSV and upload again."
            )
        )
    return "csv"


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). UTF-8 is tried strictly first: GB18030 would accept almost any bytes."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        raise Unreadable(
            because(
                "The file is neither UTF-8 nor GB18030 text (bad byte at offset %(offset)s); "
                "save it as CSV UTF-8 or as .xlsx.",
                offset=error.start,
            )
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter seen most often in the first lines (ties go to the comma)."""
    head = text[:65536].splitlines()[:SNIFF_LINES]
    counts = {d: sum(line.count(d) for line in head) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def physical_lines(text: str) -> Iterator[str]:
    """The physical lines of `text` with their ends (LF, CRLF or CR), one at a time, as csv.reader wants
    them, refusing one too long to split into cells: the csv module builds a whole record at once, and a
    line of 50 MB of commas is 50 M cells. Sliced from the text as they are wanted (io.StringIO would copy
    the whole text at four bytes a character first)."""
    length, start, number = len(text), 0, 0
    next_lf, next_cr = text.find("\n"), text.find("\r")
    while start < length:
        if next_cr < 0:  # no CR left: only LF ends the lines (the common case, and the quick one)
            end = text.find("\n", start) + 1 or length
        else:
            if 0 <= next_lf < start:
                next_lf = text.find("\n", start)
            if next_cr < start:
                next_cr = text.find("\r", start)
            if next_cr < 0:
                continue
            end = (next_cr if next_lf < 0 else min(next_lf, next_cr)) + 1
            if end == next_cr + 1 and text.startswith("\n", end):
                end += 1
        number += 1
        if end - start > MAX_CSV_LINE_CHARACTERS:
            reason = because(
                "Line %(line)s is %(size)s long; a CSV line may be at most %(limit)s.",
                line=number,
                size=size_text(end - start),
                limit=size_text(MAX_CSV_LINE_CHARACTERS),
            )
            raise Unreadable(reason, TOO_LARGE)
        yield text[start:end]
        start = end


def csv_rows(data: bytes, delimiter: str | None = None) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) for each CSV record; the number is what a spreadsheet shows for that row."""
    text, _encoding = decode(data)
    reader = csv.reader(physical_lines(text), delimiter=delimiter or sniff_delimiter(text))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        reason = because("Row %(row)s: the CSV is malformed (%(error)s).", row=reader.line_num, error=error)
        raise Unreadable(reason) from None


def _cannot_open(error: Exception) -> Unreadable:
    return Unreadable(
        because("The workbook cannot be opened (%(error)s); save it again as .xlsx.", error=error)
    )


def xlsx_rows(
    data: bytes, sheet: str | None = None, limits: ImportLimits = DEFAULT_LIMITS
) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) for each row of the first (or the named) sheet, empty rows included."""
    # Imported here: CSV uploads do not pay for it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    refused = archive_refusal(data, limits)
    if refused is not None:
        raise Unreadable(*refused)
    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ParseError)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except unreadable as error:
        raise _cannot_open(error) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise Unreadable(
                because(
                    "The workbook has no sheet '%(sheet)s' (it has: %(sheets)s).",
                    sheet=sheet,
                    sheets=", ".join(workbook.sheetnames),
                )
            )
        # Some exporters write a wrong <dimension>; without it openpyxl reads rows as they come.
        worksheet.reset_dimensions()
        try:
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, list(row)
        except unreadable as error:  # a sheet's XML is parsed as its rows are read
            raise _cannot_open(error) from None
    finally:
        workbook.close()


def within_limits(
    rows: Iterator[tuple[int, list[object]]], limits: ImportLimits, result: ParseResult
) -> Iterator[tuple[int, list[object]]]:
    """`rows` as read, until the sheet passes the row limit or `result` the results limit (Unreadable,
    "too_large"). Cells right of MAX_COLUMNS are dropped when empty (a styled cell in Excel's last
    column makes a row 16,384 cells wide) and refused when not: a value there is never dropped unseen."""
    for number, cells in rows:
        if number > limits.rows:
            raise Unreadable(rows_refusal(limits), TOO_LARGE)
        if len(result.results) + len(result.problems) > limits.results:
            raise Unreadable(results_refusal(limits), TOO_LARGE)
        if len(cells) > MAX_COLUMNS:
            beyond = cells[MAX_COLUMNS:]
            if beyond.count(None) + beyond.count("") < len(beyond):
                reason = because(
                    "Row %(row)s has a value right of column %(column)s; only the first %(limit)s columns "
                    "of a sheet are read. Move the data left, or split the sheet.",
                    row=number,
                    column=column_letter(MAX_COLUMNS - 1),
                    limit=count(MAX_COLUMNS),
                )
                raise Unreadable(reason, TOO_LARGE)
            cells = cells[:MAX_COLUMNS]
        yield number, cells
