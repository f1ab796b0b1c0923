"""Building result files for import tests."""

import datetime
import io
from typing import Any

import openpyxl

from careloop.observations import catalogue
from careloop.observations.catalogue import Indicator
from careloop.observations.hl7v2.mllp import MllpServer
from careloop.observations.merge import COLUMNS
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


CST = datetime.timezone(datetime.timedelta(hours=8))


def merge_row(patient_id: int, source_id: str, value: float, **changes: Any) -> tuple[Any, ...]:
    """A normalized glucose result as merge.merge_observations takes it (merge.COLUMNS order)."""
    base = {
        "patient_id": patient_id,
        "code": "1558-6",
        "value": value,
        "unit": "mmol/L",
        "comparator": "",
        "value_reported": str(value),
        "unit_reported": "mmol/L",
        "flag": "normal" if value < 6.1 else "high",
        "effective_at": datetime.datetime(
            2026, 3, 1, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        ),
        "status": "final",
        "source_kind": "hospital_system",
        "source_system": "LIS-A",
        "source_id": source_id,
        "report_id": None,
        "reference_range_reported": "3.9-6.1",
        "source_digest": None,
        **changes,
    }
    return tuple(base[name] for name in COLUMNS)
