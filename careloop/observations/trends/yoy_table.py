"""The Trends tab's year-over-year table: indicators x years, the annual check of each year (else its last
check) with the arrow against the previous year that has one (pure: no Django import)."""

from dataclasses import dataclass

from careloop.observations.catalogue import Indicator
from careloop.observations.trends import detection
from careloop.observations.trends.display import fmt, indicator_name, unit_label
from careloop.observations.trends.series import Row, points

MAX_YEARS = 8  # columns of the year-over-year table: the latest years that have a check


@dataclass(frozen=True)
class YoyCell:
    value: str
    arrow: str  # "↑" / "↓" / "→" / ""
    flag: str
    abnormal: bool
    annual_check: bool


@dataclass(frozen=True)
class YoyRow:
    code: str
    name: str
    unit: str
    cells: tuple[YoyCell | None, ...]  # one per year of the table; None where that year has no check


@dataclass(frozen=True)
class YoyTable:
    years: tuple[int, ...]
    rows: tuple[YoyRow, ...]


ARROWS = {detection.UP: "↑", detection.DOWN: "↓", detection.FLAT: "→"}


def yoy_table(
    grouped: dict[Indicator, list[Row]], indicators: list[Indicator], zh: bool, max_years: int = MAX_YEARS
) -> YoyTable:
    """Indicators x years: the annual check of each year (else its last check), with the arrow against the
    previous year that has one (detection.year_over_year). Only the latest `max_years` years are shown."""
    cells_by_indicator = {ind: detection.year_over_year(points(grouped[ind])) for ind in indicators}
    years = sorted({cell.year for cells in cells_by_indicator.values() for cell in cells})[-max_years:]
    rows = []
    for indicator in indicators:
        cells = {cell.year: cell for cell in cells_by_indicator[indicator]}
        if not any(year in cells for year in years):
            continue
        rows.append(
            YoyRow(
                code=indicator.code,
                name=indicator_name(indicator, zh),
                unit=unit_label(indicator, indicator.unit),
                cells=tuple(_yoy_cell(indicator, grouped[indicator], cells.get(year)) for year in years),
            )
        )
    return YoyTable(tuple(years), tuple(rows))


def _yoy_cell(indicator: Indicator, series: list[Row], cell: detection.YearCell | None) -> YoyCell | None:
    if cell is None:
        return None
    flag = "abnormal" if cell.flag == "critical" else (cell.flag or "")
    if indicator.kind == "ordinal":
        # The reported text ("2+") of the row the cell came from.
        row = next((r for r in reversed(series) if r.when == cell.at), None)
        value = row.reported if row is not None and row.reported else fmt(cell.value, indicator.decimals)
    else:
        value = fmt(cell.value, indicator.decimals)
    return YoyCell(
        value=value,
        arrow=ARROWS.get(cell.arrow or "", ""),
        flag=flag,
        abnormal=bool(cell.abnormal),
        annual_check=cell.annual_check,
    )
