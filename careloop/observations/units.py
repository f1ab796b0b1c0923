"""Read a reported value and unit, and convert it to the indicator's canonical unit.

Pure: no Django import. The import pipeline calls, per result:
`read_value(indicator, text)` -> `ParsedValue`, then `to_canonical(indicator, number, unit)` -> float.
Anything refused raises `ResultRefused` with a machine code (`not_numeric`, `unknown_value`,
`unknown_unit`) that the importer turns into a `records.Problem`.

Unit spellings ("mmol/l", "µmol/L", "×10⁹/L", "斤", "次/分"...) are reduced to one token per unit
(UCUM where UCUM has the unit; `{jin}` and `{chi}` for the 市制 units). Which units an indicator
accepts, and the factor to its canonical unit, is data in `data/indicators.json`; each factor names its
source there (molar masses, unit definitions, the IFCC-NGSP master equation for HbA1c).
"""

# ruff: noqa: RUF001, RUF002 -- look-alike characters (multiplication sign, micro sign, full width) are its input.

import math
import re
import unicodedata
from typing import TYPE_CHECKING, NamedTuple, Protocol

from careloop.observations.importing.parsed import Problem, Reason, because

if TYPE_CHECKING:  # catalogue imports this module; the type is only needed by the checker
    from careloop.observations.catalogue import Conversion


class ResultRefused(ValueError):
    """A value that cannot be taken as it stands: what was wrong (`code`), why (a `because` sentence,
    translatable), and the value."""

    def __init__(self, code: str, reason: Reason, value: str = ""):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.value = value

    def problem(self, location: str, field: str) -> Problem:
        return Problem(location=location, field=field, value=self.value, reason=self.reason, code=self.code)


class ParsedValue(NamedTuple):
    number: (
        float  # the number as reported; for qualitative results the rank (negative 0, ±0.5, 1+ 1 ... 4+ 4)
    )
    comparator: str = ""  # "<", "<=", ">", ">=" when the source reported a limit ("<0.1"), else ""
    label: str = ""  # qualitative results: negative / trace / 1+ / 2+ / 3+ / 4+ / positive


class HasConversions(Protocol):
    """What conversion reads of an indicator (catalogue.Indicator, a frozen dataclass: read-only members)."""

    @property
    def code(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def unit_display(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def conversions(self) -> "dict[str, Conversion]": ...  # token -> factor and offset to the canonical unit
    @property
    def raw_units(self) -> "dict[str, Conversion]": ...  # raw spelling -> Conversion, filled on first use


# ---------------------------------------------------------------- unit spellings

# One token per unit. Keys are spellings after `_unit_key` (NFKC, no spaces, lower case).
_SPELLINGS: dict[str, str] = {}


def _spell(token: str, *spellings: str) -> None:
    for s in (token, *spellings):
        _SPELLINGS[_unit_key(s)] = token


_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SIGNS = str.maketrans({"μ": "u", "µ": "u", "×": "x", "·": "", "个": ""})
_POWER = re.compile(r"^x?10(?:\^|\*\*|\*|e)(\d{1,2})/(l|ul|ml|nl)$")
_VOLUME = {"l": "L", "ul": "uL", "ml": "mL", "nl": "nL"}


def _unit_key(text: str) -> str:
    # Superscripts first: NFKC would turn "10⁹" into "109".
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT_DIGITS), text)
    text = unicodedata.normalize("NFKC", text.translate(_SIGNS)).translate(_SIGNS)
    return "".join(text.split()).lower()


_spell("mmol/L", "毫摩尔/升")
_spell("umol/L", "微摩尔/升")
_spell("nmol/L")
_spell("pmol/L")
_spell("mmol/mol")
_spell("meq/L", "mEq/L")
_spell("mg/dL")
_spell("mg/L")
_spell("g/L", "克/升")
_spell("g/dL")
_spell("ug/dL")
_spell("ng/dL")
_spell("ng/mL")
_spell("pg/mL")
_spell("ug/L")
_spell("U/L")
_spell("[IU]/L", "IU/L")
_spell("m[IU]/L", "mIU/L", "mU/L")  # TSH: milli-units per litre
_spell("u[IU]/mL", "uIU/mL", "uU/mL")
_spell("[IU]/mL", "IU/mL")
_spell("%", "百分比")
_spell("L/L")
_spell("1")
_spell("{ratio}", "ratio", "比值")
_spell("[pH]", "pH")
_spell("mm[Hg]", "mmHg", "毫米汞柱")
_spell("kPa", "千帕")
_spell(
    "/min",
    "次/分",
    "次/分钟",
    "次/min",
    "bpm",
    "beats/min",
    "{beats}/min",
    "/分",
    "breaths/min",
    "{breaths}/min",
    "1/min",
    "次/m",
)
_spell("cm", "厘米", "公分")
_spell("m", "米")
_spell("mm", "毫米")
_spell("[in_i]", "in", "inch", "inches", "英寸")
_spell("kg", "公斤", "千克", "kgs")
_spell("g", "克")
_spell("{jin}", "斤", "市斤")
_spell("{chi}", "尺", "市尺")
_spell("[lb_av]", "lb", "lbs", "磅")
_spell("kg/m2", "kg/m^2", "kg/(m^2)", "kg/平方米")
_spell("Cel", "°C", "℃", "度", "摄氏度", "degC")
_spell("[degF]", "°F", "℉", "华氏度", "degF")
_spell(
    "mL/min/{1.73_m2}",
    "mL/min/1.73m2",
    "mL/min/1.73m^2",
    "mL/(min·1.73m2)",
    "mL/(min·1.73m^2)",
    "mL/min/1.73平方米",
    "mL/min per 1.73m2",
)
_spell("mL/min")
_spell("mg/g", "mg/gCr", "mg/g·Cr", "mg/g肌酐", "ug/mgCr")
_spell("ug/mg")
_spell("mg/mmol", "mg/mmolCr", "mg/mmol肌酐")
_spell("fL", "fl", "飞升")
_spell("pg", "皮克")
_spell("10*9/L")
_spell("10*12/L")
_spell("10*3/uL")
_spell("10*6/uL")
_spell("{ordinal}")

KNOWN_UNITS: frozenset[str] = frozenset(_SPELLINGS.values())
# Units that need no spelling: a value sent without a unit is taken in the canonical unit.
DIMENSIONLESS: frozenset[str] = frozenset({"1", "{ratio}", "[pH]", "{ordinal}"})

_MAX_CACHED = 10_000
_unit_cache: dict[str, str | None] = {}


def normalize_unit(text: str) -> str | None:
    """The unit token for a spelling ("µmol/L" -> "umol/L", "×10⁹/L" -> "10*9/L"), None when unknown."""
    token = _unit_cache.get(text, "")
    if token != "":
        return token
    key = _unit_key(text)
    token = _SPELLINGS.get(key)
    if token is None and (m := _POWER.match(key)):
        token = f"10*{int(m.group(1))}/{_VOLUME[m.group(2)]}"
        if token not in KNOWN_UNITS:
            token = None
    if len(_unit_cache) < _MAX_CACHED:
        _unit_cache[text] = token
    return token


# ---------------------------------------------------------------- conversion


def to_canonical(indicator: HasConversions, number: float, unit: str) -> float:
    """`number` in `unit` expressed in the indicator's canonical unit.

    canonical = number x factor + offset, with the indicator's accepted conversion for that unit
    (e.g. glucose mg/dL / 18.016; HbA1c mmol/mol / 10.929 + 2.15, the IFCC-NGSP master equation).
    """
    conv = indicator.raw_units.get(unit)
    if conv is None:
        conv = _conversion_for(indicator, unit)
        if len(indicator.raw_units) < 64:
            indicator.raw_units[unit] = conv
    return number * conv.factor + conv.offset


def from_canonical(indicator: HasConversions, value: float, unit: str) -> float:
    """The inverse of `to_canonical`: a canonical value expressed in `unit`."""
    conv = _conversion_for(indicator, unit)
    return (value - conv.offset) / conv.factor


def _conversion_for(indicator: HasConversions, unit: str) -> "Conversion":
    if not unit.strip():
        if indicator.unit in DIMENSIONLESS or indicator.kind == "ordinal":
            return indicator.conversions[indicator.unit]
        raise ResultRefused(
            "unknown_unit",
            because(
                "No unit given for %(name)s (%(code)s); expected %(expected)s.",
                name=indicator.name_en,
                code=indicator.code,
                expected=_expected(indicator),
            ),
            unit,
        )
    if indicator.kind == "ordinal":
        return indicator.conversions[indicator.unit]  # qualitative: a unit sent along means nothing
    token = normalize_unit(unit)
    conv = indicator.conversions.get(token) if token else None
    if conv is None:
        params = {
            "unit": unit,
            "name": indicator.name_en,
            "code": indicator.code,
            "expected": _expected(indicator),
        }
        if token is None:
            reason = because(
                "“%(unit)s” is an unknown unit for %(name)s (%(code)s); expected %(expected)s.", **params
            )
        else:
            reason = because(
                "“%(unit)s” is not a unit accepted for %(name)s (%(code)s); expected %(expected)s.", **params
            )
        raise ResultRefused("unknown_unit", reason, unit)
    return conv


def _expected(indicator: HasConversions) -> str:
    others = [u for u in indicator.conversions if u != indicator.unit]
    return " or ".join([indicator.unit_display or indicator.unit, *others])


# ---------------------------------------------------------------- values

_LIMIT = re.compile(r"(<=|>=|<|>|≤|≥)?\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_COMPARATORS = {"≤": "<=", "≥": ">=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", None: ""}
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
_FLAG_MARKS = str.maketrans("", "", "↑↓")


def parse_number(text: str) -> ParsedValue:
    """A reported numeric result: "5.6", " 5,6 ", "<0.1", "≥500", "６.８↑" (arrows dropped).

    The comparator of a limit is kept. A comma is read as the decimal mark ("5,6" = 5.6); a value
    that could be a thousands separator ("1,234") is refused rather than guessed.
    """
    try:  # the common case, and float() is faster than any pattern
        number = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(number) and "_" not in text:
            return ParsedValue(number)
    cleaned = unicodedata.normalize("NFKC", text).translate(_FLAG_MARKS).strip()
    if "," in cleaned:
        if "." in cleaned or cleaned.count(",") > 1 or _THOUSANDS.fullmatch(cleaned.lstrip("<>=≤≥")):
            reason = because("“%(value)s” is ambiguous: is the comma a decimal mark?", value=text)
            raise ResultRefused("not_numeric", reason, text)
        cleaned = cleaned.replace(",", ".")
    m = _LIMIT.fullmatch(cleaned)
    if m is None:
        raise ResultRefused("not_numeric", because("“%(value)s” is not a number.", value=text), text)
    number = float(m.group(2))
    if not math.isfinite(number):
        raise ResultRefused("not_numeric", because("“%(value)s” is not a finite number.", value=text), text)
    return ParsedValue(number, _COMPARATORS[m.group(1)])


_ORDINALS: dict[str, tuple[float, str]] = {}
for _rank, _label, _spellings in [
    (0.0, "negative", ("阴性", "阴", "-", "(-)", "neg", "negative", "nil", "—", "−")),
    (0.5, "trace", ("±", "+-", "+/-", "(±)", "trace", "tr", "弱阳性", "微量")),
    (1.0, "1+", ("+", "1+", "(+)", "+1", "+1+")),
    (2.0, "2+", ("++", "2+", "(++)", "+2")),
    (3.0, "3+", ("+++", "3+", "(+++)", "+3")),
    (4.0, "4+", ("++++", "4+", "(++++)", "+4")),
    (1.0, "positive", ("阳性", "阳", "pos", "positive")),
]:
    for _s in _spellings:
        _ORDINALS[_s] = (_rank, _label)


def parse_ordinal(text: str) -> ParsedValue:
    """A qualitative urine result ("阴性", "±", "2+", "+++") as its rank and label."""
    hit = _ORDINALS.get(text) or _ORDINALS.get(
        unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    )
    if hit is None:
        reason = because(
            "“%(value)s” is not a qualitative result (negative, ±, 1+ to 4+, positive).", value=text
        )
        raise ResultRefused("unknown_value", reason, text)
    return ParsedValue(hit[0], "", hit[1])


def read_value(indicator: HasConversions, text: str) -> ParsedValue:
    """The reported value, read the way the indicator is reported (number or qualitative)."""
    if indicator.kind == "ordinal":
        return parse_ordinal(text)
    return parse_number(text)
