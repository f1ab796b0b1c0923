"""Building result files for import tests."""

import io

import openpyxl

from careloop.observations import catalogue
from careloop.observations.catalogue import Indicator
from careloop.observations.hl7v2.mllp import MllpServer
from careloop.observations.tabular.template import template_headers


def address(server: MllpServer) -> tuple[str, int]:
    """Where a started MLLP listener listens."""
    assert server.address is not None
    return server.address


def indicator(code: str) -> Indicator:
    """The catalogue's indicator for a code the test knows is there."""
    found = catalogue.by_code(code)
    assert found is not None, code
    return found


def results_xlsx(rows: list[list[object]]) -> bytes:
    """An .xlsx in our template's layout with the given data rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
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
