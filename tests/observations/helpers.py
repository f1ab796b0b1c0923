"""Building result files for import tests."""

import io

import openpyxl

from careloop.observations.tabular.template import template_headers


def results_xlsx(rows: list[list[object]]) -> bytes:
    """An .xlsx in our template's layout with the given data rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(template_headers())
    for row in rows:
        sheet.append(row + [""] * (len(template_headers()) - len(row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def yearly_glucose_rows(
    id_number: str, name: str, values: list[float], first_year: int = 2021
) -> list[list[object]]:
    return [
        [
            id_number,
            "",
            name,
            "",
            "",
            "空腹血糖",
            value,
            "mmol/L",
            f"{first_year + i}-03-05 08:30",
            "3.9-6.1",
            "",
            f"R{first_year + i}",
        ]
        for i, value in enumerate(values)
    ]
