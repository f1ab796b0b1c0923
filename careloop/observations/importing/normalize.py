"""One result from a source to the values stored: indicator, canonical value and unit, flag — or a Problem.

Pure: no Django import. `Normalizer` is what the pipeline uses (one per import); `normalize_result` is the
same for a single record.
"""

import datetime
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from careloop.observations import catalogue, flags, units
from careloop.observations.importing.parsed import Problem, ResultRecord, because

NO_CRITICAL_LIMITS: Mapping[str, flags.CriticalLimits] = MappingProxyType({})

# How far a result's time may lie beyond the importer's clock: the source's and our clocks differ a little.
# A result dated later is refused ("future"): it would become the patient's latest value for years.
CLOCK_TOLERANCE = datetime.timedelta(minutes=10)

# An import's memo (Normalizer) is emptied when it holds this many entries: it bounds the memory, never
# what is computed.
CONVERSIONS_KEPT = 50_000
FLAGS_KEPT = 100_000


class Normalized(NamedTuple):
    """What is stored of a value as reported (rows.ObservationRow's columns of the same names)."""

    code: str
    value: float
    unit: str
    comparator: str
    value_reported: str
    unit_reported: str
    flag: str


class _Conversion:
    """A value as reported, read and converted: the same for every patient. What is stored of it for a
    patient differs only by the flag: kept here by flag, and by the (sex, age) judged."""

    __slots__ = ("by_flag", "comparator", "indicator", "judged", "value")

    def __init__(self, indicator: catalogue.Indicator, value: float, comparator: str) -> None:
        self.indicator = indicator
        self.value = value
        self.comparator = comparator
        self.by_flag: dict[str, Normalized] = {}
        self.judged: dict[tuple[str, int | None], Normalized] = {}


def age_on(birth: datetime.date | None, day: datetime.date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def future_refusal(effective_at: datetime.datetime, now: datetime.datetime, location: str) -> Problem | None:
    """Why a result dated `effective_at` is refused when it arrives at `now`, or None (CLOCK_TOLERANCE)."""
    if effective_at <= now + CLOCK_TOLERANCE:
        return None
    return Problem(
        location,
        "time",
        effective_at.isoformat(),
        because(
            "The result is dated %(time)s, which is in the future. Check the date and the time zone "
            "in the source system, then send it again.",
            time=effective_at.isoformat(sep=" ", timespec="minutes"),
        ),
        "future",
    )


class Normalizer:
    """Normalizes the results of one import, judged against `critical` (the organization's own critical
    limits by indicator code) and refused when dated after `now` (future_refusal).

    Memoizes, for this object's life only: the conversion of each (code, value as reported, unit) it met,
    and with it what is stored for each (sex, age) it judged; the patient's age on the result's day and the
    check against `now` are worked out when the time or the birth date object changes (a parser hands a
    specimen's results one time object, and a patient's one birth date object).
    A lab reports with a fixed number of decimals, so a feed repeats the same values many times. The
    catalogue, the units and the flag rules are code, fixed for the process's life, and the limits are
    this object's own: a memoized answer is always the one a fresh computation would give.
    """

    def __init__(
        self,
        now: datetime.datetime,
        critical: Mapping[str, flags.CriticalLimits] = NO_CRITICAL_LIMITS,
    ) -> None:
        self.now = now
        self.critical = critical
        self._latest = now + CLOCK_TOLERANCE  # the latest time a result may be dated (future_refusal)
        self._conversions: dict[tuple[str, str, str], _Conversion] = {}
        self._judged = 0  # entries in the conversions' `judged` memos together
        # The last result's time and birth date objects, and its patient's (sex, age) on that day.
        self._time: datetime.datetime | None = None
        self._birth: datetime.date | None = None
        self._who: tuple[str, int | None] = ("", None)

    def normalize(
        self,
        code: str,
        text: str,
        unit: str,
        effective_at: datetime.datetime,
        location: str,
        sex: str,
        birth: datetime.date | None,
    ) -> Normalized | Problem:
        """What is stored of a value as reported by a patient of this sex and birth date, or why not."""
        if effective_at is not self._time:
            if effective_at > self._latest:
                refused = future_refusal(effective_at, self.now, location)
                assert refused is not None
                return refused
            self._time, self._birth = effective_at, birth
            self._who = (sex, age_on(birth, effective_at.date()))
        elif birth is not self._birth or sex is not self._who[0]:
            self._birth = birth
            self._who = (sex, age_on(birth, effective_at.date()))
        conversion = self._conversions.get((code, text, unit))
        if conversion is None:
            converted = self._convert(code, text, unit, location)
            if type(converted) is Problem:
                return converted
            assert isinstance(converted, _Conversion)
            conversion = converted
        normalized = conversion.judged.get(self._who)
        if normalized is None:
            normalized = self._judge(conversion, text, unit)
        return normalized

    def _judge(self, conversion: _Conversion, text: str, unit: str) -> Normalized:
        indicator, value = conversion.indicator, conversion.value
        sex, age = self._who
        flag = flags.flag(indicator, value, sex, age, self.critical.get(indicator.code)) or ""
        normalized = conversion.by_flag.get(flag) or Normalized(
            indicator.code, value, indicator.unit, conversion.comparator, text[:100], unit[:30], flag
        )
        conversion.by_flag[flag] = normalized
        if self._judged >= FLAGS_KEPT:
            for kept in self._conversions.values():
                kept.judged.clear()
            self._judged = 0
        conversion.judged[self._who] = normalized
        self._judged += 1
        return normalized

    def refusal(
        self, code: str, text: str, unit: str, effective_at: datetime.datetime, location: str
    ) -> Problem | None:
        """Why a result would be refused whoever its patient is, or None: `normalize`'s checks but the
        flag (the time, the indicator, the unit, a plausible value). What waits for a patient is checked
        so, as it arrives, and refused with the reason a known patient's result would get."""
        if effective_at > self._latest:
            return future_refusal(effective_at, self.now, location)
        if (code, text, unit) in self._conversions:
            return None
        converted = self._convert(code, text, unit, location)
        return converted if type(converted) is Problem else None

    def _convert(self, code: str, text: str, unit: str, location: str) -> _Conversion | Problem:
        converted = _convert(code, text, unit, location)
        if type(converted) is _Conversion:
            if len(self._conversions) >= CONVERSIONS_KEPT:
                self._conversions.clear()
                self._judged = 0
            self._conversions[(code, text, unit)] = converted
        return converted


def normalize_result(
    record: ResultRecord,
    sex: str,
    birth: datetime.date | None,
    now: datetime.datetime | None = None,
    critical: Mapping[str, flags.CriticalLimits] = NO_CRITICAL_LIMITS,
) -> Normalized | Problem:
    """One record normalized on its own (`now`: the time it arrives, by default the clock's)."""
    normalizer = Normalizer(now or datetime.datetime.now(datetime.UTC), critical)
    return normalizer.normalize(
        record.code, record.value, record.unit, record.effective_at, record.location, sex, birth
    )


def _convert(code: str, text: str, unit: str, location: str) -> _Conversion | Problem:
    """The indicator, canonical value and comparator of a value as reported, or why it is refused."""
    indicator = catalogue.find(code)
    if indicator is None:
        return Problem(
            location,
            "code",
            code,
            because("%(code)s is not an indicator of the catalogue (LOINC code or known name).", code=code),
            "unknown_code",
        )
    try:
        parsed = units.read_value(indicator, text)
        if indicator.kind == "ordinal":
            value = parsed.number
        else:
            value = units.to_canonical(indicator, parsed.number, unit)
        flags.check_plausible(indicator, value, text)
    except units.ResultRefused as refused:
        field = "unit" if refused.code == "unknown_unit" else "value"
        return refused.problem(location, field)
    return _Conversion(indicator, value, parsed.comparator)
