"""Bytes of an upload -> rows of cells, with the spreadsheet's own row numbers.

CSV: the encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM as Excel's "Unicode text",
else GB18030 — the superset of GBK/GB2312 that Windows exports in China use) and the delimiter
(",", ";" or tab) is the one that appears most in the first lines. xlsx: openpyxl in read-only mode,
first sheet or a named one; cells keep their types (numbers, datetimes for date-formatted cells).
Pure: no Django import.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator

from careloop.observations.records import Reason, because

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted .xlsx)
DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 20


class Unreadable(ValueError):
    """The file itself cannot be read; `reason` says why and what to do (str(error) is its English)."""

    def __init__(self, reason: Reason):
        super().__init__(reason)
        self.reason = reason


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


def csv_rows(data: bytes, delimiter: str | None = None) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) for each CSV record; the number is what a spreadsheet shows for that row."""
    text, _encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        reason = because("Row %(row)s: the CSV is malformed (%(error)s).", row=reader.line_num, error=error)
        raise Unreadable(reason) from None


def xlsx_rows(data: bytes, sheet: str | None = None) -> Iterator[tuple[int, list[object]]]:
    """(row number, cells) for each row of the first (or the named) sheet, empty rows included."""
    # Imported here: CSV uploads do not pay for it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        reason = because("The workbook cannot be opened (%(error)s); save it again as .xlsx.", error=error)
        raise Unreadable(reason) from None
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
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()
