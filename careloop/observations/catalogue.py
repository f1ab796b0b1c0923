"""The indicator catalogue: LOINC-coded indicators with names, units, conversions and ranges.

Pure: no Django import. The data is `data/indicators.json`; its "about" key describes the format
and its "sources" key names every guideline, standard and constant the figures come from. It is
loaded and validated once (`catalogue()` is cached). Lookups are dicts built at load time:

- `by_code("2093-3")` - a primary LOINC code or an accepted alternative code (e.g. the molar
  LOINC of the same analyte, 14647-2, or LDL-C by calculation 13457-7);
- `by_alias("空腹血糖")`, `by_alias("ALT")` - names and lab short names, so CSV column headers and
  HL7 OBX-3 local codes can be mapped; case, width and spaces do not matter.
"""

# ruff: noqa: RUF001 -- full-width punctuation is what alias_key strips from Chinese names.

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from careloop.observations import units

DATA = Path(__file__).with_name("data") / "indicators.json"
CATEGORIES = ("vitals", "glucose", "lipids", "renal", "liver", "blood_count", "thyroid", "urine", "other")
KINDS = ("quantity", "ordinal")
SEXES = ("any", "male", "female")


class CatalogueError(ValueError):
    """The data file is wrong; the message names the indicator and the field."""


@dataclass(frozen=True, slots=True)
class Conversion:
    factor: float  # canonical = reported x factor + offset
    offset: float = 0.0
    source: str = ""


@dataclass(frozen=True, slots=True)
class RefRange:
    sex: str  # any / male / female
    age_min: int | None  # completed years, inclusive; None = open
    age_max: int | None
    low: float | None  # normal when low <= v
    high: float | None  # ... and v <= high (v < high when high_exclusive)
    high_exclusive: bool
    source: str
    note: str = ""

    def applies_to_age(self, age: int) -> bool:
        return (self.age_min is None or age >= self.age_min) and (self.age_max is None or age <= self.age_max)


@dataclass(frozen=True, slots=True, eq=False)
class Indicator:
    code: str
    alias_codes: tuple[str, ...]
    name_zh: str
    name_en: str
    category: str
    kind: str
    unit: str  # canonical unit, UCUM (or {jin}-style annotation)
    unit_display: str
    decimals: int
    aliases: tuple[str, ...]
    conversions: dict[
        str, Conversion
    ]  # unit token -> conversion to the canonical unit (canonical itself: x1)
    plausible_min: float
    plausible_max: float
    ranges: tuple[RefRange, ...]
    critical_low: float | None
    critical_high: float | None
    critical_source: str | None
    note: str = ""
    raw_units: dict[str, Conversion] = field(default_factory=dict, repr=False)  # hot-path cache, see units


def alias_key(text: str) -> str:
    """How names are compared: NFKC (full-width to ASCII), case-folded, without spaces and dashes."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text).casefold())


_STRIP = re.compile(r"[\s\-_.,，。:：()（）\[\]·]")


class Catalogue:
    def __init__(self, indicators: list[Indicator], sources: dict[str, str]):
        self.indicators = tuple(indicators)
        self.sources = sources
        self._by_code: dict[str, Indicator] = {}
        self._by_alias: dict[str, Indicator] = {}
        for ind in indicators:
            for code in (ind.code, *ind.alias_codes):
                if code in self._by_code:
                    raise CatalogueError(
                        f"{ind.code}: code {code} is also used by {self._by_code[code].code}"
                    )
                self._by_code[code] = ind
            for name in (ind.name_zh, ind.name_en, *ind.aliases):
                key = alias_key(name)
                other = self._by_alias.get(key)
                if other is not None and other is not ind:
                    raise CatalogueError(f"{ind.code}: alias “{name}” is also used by {other.code}")
                self._by_alias[key] = ind

    def __len__(self) -> int:
        return len(self.indicators)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def by_code(self, code: str) -> Indicator | None:
        return self._by_code.get(code) or self._by_code.get(code.strip())

    def by_alias(self, name: str) -> Indicator | None:
        return self._by_alias.get(alias_key(name))

    def find(self, text: str) -> Indicator | None:
        """A LOINC code, or else a name or short name (for CSV headers and local OBX-3 codes)."""
        return self.by_code(text) or self.by_alias(text)


@functools.cache
def catalogue() -> Catalogue:
    """The shipped catalogue, loaded and validated once per process."""
    return load(DATA)


@functools.cache
def fingerprint() -> bytes:
    """What the shipped catalogue says, hashed: results normalized against another one may differ."""
    return hashlib.sha256(DATA.read_bytes()).digest()


def by_code(code: str) -> Indicator | None:
    return catalogue().by_code(code)


def by_alias(name: str) -> Indicator | None:
    return catalogue().by_alias(name)


def find(text: str) -> Indicator | None:
    return catalogue().find(text)


# ---------------------------------------------------------------- loading and validation


def load(path: Path) -> Catalogue:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    sources = doc["sources"]
    return Catalogue([_indicator(raw, sources) for raw in doc["indicators"]], sources)


def loinc_check_digit(number: str) -> int:
    """The LOINC mod-10 check digit of the part before the dash (LOINC Users' Guide, appendix)."""
    digits = number[::-1]
    doubled = str(int(digits[0::2][::-1]) * 2)
    rest = digits[1::2][::-1]
    total = sum(int(d) for d in rest + doubled)
    return (10 - total % 10) % 10


_LOINC = re.compile(r"(\d{1,7})-(\d)")


def _check_loinc(owner: str, code: str) -> None:
    m = _LOINC.fullmatch(code)
    if m is None or loinc_check_digit(m.group(1)) != int(m.group(2)):
        raise CatalogueError(f"{owner}: {code!r} is not a valid LOINC code (check digit)")


def _indicator(raw: dict[str, Any], sources: dict[str, str]) -> Indicator:
    code = raw["code"]
    where = f"indicator {code}"

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise CatalogueError(f"{where}: {what}")

    def sourced(key: str | None, what: str) -> None:
        need(key in sources, f"{what} cites unknown source {key!r}")

    for c in (code, *raw["alias_codes"]):
        _check_loinc(where, c)
    need(raw["category"] in CATEGORIES, f"category {raw['category']!r} is not one of {CATEGORIES}")
    need(raw["kind"] in KINDS, f"kind {raw['kind']!r} is not one of {KINDS}")
    unit = raw["unit"]
    need(unit in units.KNOWN_UNITS, f"canonical unit {unit!r} is not a unit units.py knows")
    need(isinstance(raw["decimals"], int) and 0 <= raw["decimals"] <= 4, "decimals must be 0..4")

    conversions = {unit: Conversion(1.0, 0.0, "identity")}
    for c in raw["conversions"]:
        token = c["unit"]
        need(token in units.KNOWN_UNITS, f"conversion unit {token!r} is not a unit units.py knows")
        need(token not in conversions, f"unit {token!r} listed twice (or is the canonical unit)")
        need(("factor" in c) != ("divisor" in c), f"unit {token!r} needs exactly one of factor / divisor")
        factor = c["factor"] if "factor" in c else 1.0 / c["divisor"]
        need(factor > 0, f"unit {token!r} has a non-positive factor")
        sourced(c.get("source"), f"conversion from {token}")
        conversions[token] = Conversion(float(factor), float(c.get("offset", 0.0)), c["source"])

    pmin, pmax = raw["plausible_min"], raw["plausible_max"]
    need(pmin < pmax, "plausible_min must be below plausible_max")
    sourced(raw["plausible_source"], "plausibility")

    ranges = []
    for r in raw["ranges"]:
        need(r["sex"] in SEXES, f"range sex {r['sex']!r} is not one of {SEXES}")
        need(r["low"] is not None or r["high"] is not None, "a range needs low or high")
        need(r["low"] is None or r["high"] is None or r["low"] <= r["high"], "range low is above high")
        need(
            r["age_min"] is None or r["age_max"] is None or r["age_min"] <= r["age_max"],
            "range ages inverted",
        )
        for bound in (r["low"], r["high"]):
            need(
                bound is None or pmin <= bound <= pmax, f"range bound {bound} is outside the plausible limits"
            )
        sourced(r["source"], "range")
        ranges.append(
            RefRange(
                r["sex"],
                r["age_min"],
                r["age_max"],
                r["low"],
                r["high"],
                bool(r["high_exclusive"]),
                r["source"],
                r.get("note", ""),
            )
        )
    if raw["critical_low"] is not None or raw["critical_high"] is not None:
        sourced(raw["critical_source"], "critical limits")

    return Indicator(
        code=code,
        alias_codes=tuple(raw["alias_codes"]),
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        category=raw["category"],
        kind=raw["kind"],
        unit=unit,
        unit_display=raw["unit_display"],
        decimals=raw["decimals"],
        aliases=tuple(raw["aliases"]),
        conversions=conversions,
        plausible_min=float(pmin),
        plausible_max=float(pmax),
        ranges=tuple(ranges),
        critical_low=raw["critical_low"],
        critical_high=raw["critical_high"],
        critical_source=raw["critical_source"],
        note=raw.get("note", ""),
    )
