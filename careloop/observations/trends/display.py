"""How the Trends tab writes values: unit labels and decimals per accepted unit, conversion from the
canonical unit, signed and fixed-decimal numbers, the indicator's name in the reader's language.

Pure: no Django import. Unit conversion comes from `careloop.observations.units`.
"""

# ruff: noqa: RUF001 -- unit labels use the multiplication sign, as labs print them.

import math
from dataclasses import dataclass

from careloop.observations import units
from careloop.observations.catalogue import Indicator

# Unit tokens (units.py) as people read them; the canonical unit shows the catalogue's unit_display.
UNIT_LABELS = {
    "mm[Hg]": "mmHg",
    "/min": "/min",
    "Cel": "℃",
    "[degF]": "℉",
    "[in_i]": "in",
    "[lb_av]": "lb",
    "{jin}": "jin",
    "{chi}": "chi",
    "kg/m2": "kg/m²",
    "umol/L": "μmol/L",
    "ug/L": "μg/L",
    "ug/dL": "μg/dL",
    "ug/mg": "μg/mg",
    "meq/L": "mEq/L",
    "[IU]/L": "IU/L",
    "[IU]/mL": "IU/mL",
    "m[IU]/L": "mIU/L",
    "u[IU]/mL": "μIU/mL",
    "10*9/L": "×10⁹/L",
    "10*12/L": "×10¹²/L",
    "10*3/uL": "×10³/μL",
    "10*6/uL": "×10⁶/μL",
    "mL/min/{1.73_m2}": "mL/min/1.73m²",
    "{ratio}": "",
    "{ordinal}": "",
    "[pH]": "",
    "1": "",
}


@dataclass(frozen=True)
class UnitOption:
    token: str
    label: str
    decimals: int


def indicator_name(indicator: Indicator, zh: bool) -> str:
    return indicator.name_zh if zh else indicator.name_en


def unit_label(indicator: Indicator, token: str) -> str:
    if token == indicator.unit:
        return indicator.unit_display
    return UNIT_LABELS.get(token, token)


def unit_decimals(indicator: Indicator, token: str) -> int:
    """Decimals to show in another unit: the canonical decimals shifted by the factor's order of magnitude.

    Glucose in mg/dL (x18) loses one decimal (5.60 mmol/L -> 100.9 mg/dL); creatinine in mg/dL (/88.4) gains
    two (97 umol/L -> 1.10 mg/dL). Kept within 0..4. A display choice.
    """
    if token == indicator.unit:
        return indicator.decimals
    factor = indicator.conversions[token].factor  # canonical = reported x factor
    shift = round(math.log10(factor))
    return min(4, max(0, indicator.decimals + shift))


def unit_options(indicator: Indicator) -> list[UnitOption]:
    """The indicator's accepted units, canonical first (the order of the catalogue after that)."""
    if indicator.kind == "ordinal":
        return [UnitOption(indicator.unit, "", indicator.decimals)]
    return [
        UnitOption(t, unit_label(indicator, t), unit_decimals(indicator, t)) for t in indicator.conversions
    ]


def fmt(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    return f"{value:.{decimals}f}"


def signed(value: float | None, decimals: int) -> str | None:
    if value is None:
        return None
    text = f"{value:+.{decimals}f}"
    return text.lstrip("+-") if float(text) == 0 else text


def convert(indicator: Indicator, value: float, token: str) -> float:
    if token == indicator.unit:
        return value
    return units.from_canonical(indicator, value, token)
