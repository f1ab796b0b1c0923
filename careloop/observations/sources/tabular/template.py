"""The downloadable upload template: one row per result ("long" layout), bilingual headers.

Pure: no Django import (openpyxl only for the .xlsx flavour).
"""

import codecs
import csv
import io

from careloop.observations.sources.tabular.columns import COLUMNS, TEMPLATE_KEYS, template_header
from careloop.observations.sources.tabular.identity import IDENTIFIER_KEYS

# The example row. Its ID number is the sample number printed in GB 11643-1999 itself, so it can never
# be a real patient; a template uploaded with the example still in it skips that row (see rows.py).
EXAMPLE_ID_NUMBER = "11010519491231002X"
EXAMPLE_NAME = "示例"
EXAMPLE = {
    "id_number": EXAMPLE_ID_NUMBER,
    "mrn": "TJ20240001",
    "name": EXAMPLE_NAME,
    "sex": "女",
    "birth_date": "1949-12-31",
    "indicator": "空腹血糖",
    "value": "5.6",
    "unit": "mmol/L",
    "time": "2024-03-05 08:30",
    "reference_range": "3.9-6.1",
    "source_id": "",
    "report_id": "R20240305001",
    "institution": "",
    "package": "",
    "conclusion": "",
}
_BY_KEY = {c.key: c for c in COLUMNS}
TEXT_FORMAT = "@"  # Excel's "Text" number format: what is typed stays as typed


def template_headers() -> list[str]:
    return [template_header(_BY_KEY[key]) for key in TEMPLATE_KEYS]


def template_csv() -> bytes:
    """Header and example row as CSV, UTF-8 with BOM: Excel on Windows then shows the Chinese right."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(template_headers())
    writer.writerow([EXAMPLE[key] for key in TEMPLATE_KEYS])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _display_width(text: str) -> int:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def template_xlsx() -> bytes:
    """The same as an .xlsx: bold header row (frozen), one example row, columns wide enough to read.

    The identifier columns (IDENTIFIER_KEYS) are formatted as text, the column and its example cell: an
    18-digit ID number typed into a General cell becomes a number and loses its last digits.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its one sheet active
    sheet.title = "results"
    headers = template_headers()
    sheet.append(headers)
    # Text cells, so the example reads exactly as in the CSV template.
    sheet.append([EXAMPLE[key] for key in TEMPLATE_KEYS])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for index, header in enumerate(headers, start=1):
        example = str(EXAMPLE[TEMPLATE_KEYS[index - 1]])
        width = max(_display_width(header), _display_width(example)) + 2
        sheet.column_dimensions[get_column_letter(index)].width = width
    for key in IDENTIFIER_KEYS:
        if key in TEMPLATE_KEYS:
            letter = get_column_letter(TEMPLATE_KEYS.index(key) + 1)
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
            sheet[f"{letter}2"].number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
