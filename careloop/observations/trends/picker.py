"""The Trends tab's indicator picker: the indicators that have data, by category, each with its latest
value and trend words (pure: no Django import)."""

from dataclasses import dataclass

from careloop.observations.catalogue import Indicator
from careloop.observations.trends.display import convert, fmt, indicator_name, unit_label
from careloop.observations.trends.series import ABNORMAL_FLAGS, Row, trend_of, trend_words


@dataclass(frozen=True)
class PickerItem:
    code: str
    name: str
    latest: str  # formatted in the canonical unit
    unit: str
    flag: str
    abnormal: bool
    words: tuple[str, ...]  # trend words, most urgent first (see TREND_WORDS)
    n: int


@dataclass(frozen=True)
class PickerGroup:
    category: str
    items: tuple[PickerItem, ...]


def _display_value(indicator: Indicator, row: Row, token: str, decimals: int) -> str:
    if indicator.kind == "ordinal":
        return row.reported or fmt(row.value, decimals)
    return f"{row.comparator}{fmt(convert(indicator, row.value, token), decimals)}"


def picker(grouped: dict[Indicator, list[Row]], indicators: list[Indicator], zh: bool) -> list[PickerGroup]:
    """The indicators that have data, by category, each with its latest value and trend words.

    `indicators` gives the order (see `ordered_indicators`)."""
    by_category: dict[str, list[PickerItem]] = {}
    for indicator in indicators:
        series = grouped[indicator]
        latest = series[-1]
        by_category.setdefault(indicator.category, []).append(
            PickerItem(
                code=indicator.code,
                name=indicator_name(indicator, zh),
                latest=_display_value(indicator, latest, indicator.unit, indicator.decimals),
                unit=unit_label(indicator, indicator.unit),
                flag=latest.flag,
                abnormal=latest.flag in ABNORMAL_FLAGS,
                words=trend_words(trend_of(indicator, series)),
                n=len(series),
            )
        )
    return [PickerGroup(category, tuple(items)) for category, items in by_category.items()]
