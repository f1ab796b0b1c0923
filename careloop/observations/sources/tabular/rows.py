"""Rows of cells -> ResultRecords, ReportRecords and Problems, for both layouts.

Long layout: one row per result (the template). Wide layout: one row per person and check, one
column per indicator. Each refused row gives a Problem at "row N" (the spreadsheet's own number) and
"column <letter> (<header>)"; empty rows are skipped silently, and so are empty indicator cells of the
wide layout (an item not in that person's package).

Source ids. A row's `source_id` column is used when present. Otherwise the id is a keyed BLAKE2b hash
of (patient identifier, indicator, time): the three things that make a result the same result. The
same file uploaded twice, or a corrected export with rows re-ordered or values fixed, gives the same
ids, so the merge's unique (source system, source id) updates the rows it already has (keeping the old
value as history) instead of adding duplicates. Row numbers, file names and values stay out of the
hash for that reason. Two rows of one file with the same key are reported as duplicates; the first is
kept. The caller must pass a stable `source_system` (the hospital's code rather than the file name)
for re-imports of renamed files to meet.

Speed: a file repeats few distinct times and people, so times, their UTC text and PatientRefs are
cached per file; each row is turned into a list of stripped texts once.
Pure: no Django import.
"""

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from careloop.observations.importing.parsed import (
    ParseResult,
    PatientRef,
    Problem,
    Reason,
    ReportRecord,
    ResultRecord,
    because,
)
from careloop.observations.sources.tabular.columns import COLUMNS, Plan, normalize_header
from careloop.observations.sources.tabular.dates import NOT_EXCEL, YEAR_OUTSIDE, BadDate, to_date, to_datetime
from careloop.observations.sources.tabular.template import EXAMPLE_ID_NUMBER, EXAMPLE_NAME

SEX = {
    "男": "male",
    "男性": "male",
    "m": "male",
    "male": "male",
    "1": "male",
    "女": "female",
    "女性": "female",
    "f": "female",
    "female": "female",
    "2": "female",
    "其他": "other",
    "other": "other",
}  # GB/T 2261.1-2003 codes 1/2; anything else (未知, 0, 9, U) is "unknown"
REPORT_KEYS = ("institution", "package", "conclusion")
KEYS = tuple(c.key for c in COLUMNS)

# Why a time or a birth date cell is refused: one whole sentence per fixed detail of dates.BadDate
# (Python's own words for impossible dates and times among them); the details with a number are below.
_NOT_A_TIME = {
    "unrecognized date": because("Not a date (unrecognized date); write e.g. 2024-03-05 08:30."),
    "unrecognized time": because("Not a date (unrecognized time); write e.g. 2024-03-05 08:30."),
    "empty": because("Not a date (empty); write e.g. 2024-03-05 08:30."),
    "write the year first (YYYY-MM-DD)": because(
        "Not a date (write the year first (YYYY-MM-DD)); write e.g. 2024-03-05 08:30."
    ),
    "year 0 is out of range": because("Not a date (year 0 is out of range); write e.g. 2024-03-05 08:30."),
    "month must be in 1..12": because("Not a date (month must be in 1..12); write e.g. 2024-03-05 08:30."),
    "day is out of range for month": because(
        "Not a date (day is out of range for month); write e.g. 2024-03-05 08:30."
    ),
    "hour must be in 0..23": because("Not a date (hour must be in 0..23); write e.g. 2024-03-05 08:30."),
    "minute must be in 0..59": because("Not a date (minute must be in 0..59); write e.g. 2024-03-05 08:30."),
    "second must be in 0..59": because("Not a date (second must be in 0..59); write e.g. 2024-03-05 08:30."),
}
_NOT_A_BIRTH_DATE = {
    "unrecognized date": because("Not a birth date (unrecognized date); write e.g. 1960-07-01."),
    "unrecognized time": because("Not a birth date (unrecognized time); write e.g. 1960-07-01."),
    "empty": because("Not a birth date (empty); write e.g. 1960-07-01."),
    "write the year first (YYYY-MM-DD)": because(
        "Not a birth date (write the year first (YYYY-MM-DD)); write e.g. 1960-07-01."
    ),
    "year 0 is out of range": because("Not a birth date (year 0 is out of range); write e.g. 1960-07-01."),
    "month must be in 1..12": because("Not a birth date (month must be in 1..12); write e.g. 1960-07-01."),
    "day is out of range for month": because(
        "Not a birth date (day is out of range for month); write e.g. 1960-07-01."
    ),
    "hour must be in 0..23": because("Not a birth date (hour must be in 0..23); write e.g. 1960-07-01."),
    "minute must be in 0..59": because("Not a birth date (minute must be in 0..59); write e.g. 1960-07-01."),
    "second must be in 0..59": because("Not a birth date (second must be in 0..59); write e.g. 1960-07-01."),
}


def not_a_time(error: BadDate) -> Reason:
    """The reason a time cell is refused, as one sentence."""
    if error.detail == YEAR_OUTSIDE:
        return because(
            "Not a date (year %(year)s is outside %(low)s-%(high)s); write e.g. 2024-03-05 08:30.",
            **error.params,
        )
    if error.detail == NOT_EXCEL:
        return because(
            "Not a date (%(serial)s is not an Excel date); write e.g. 2024-03-05 08:30.", **error.params
        )
    known = _NOT_A_TIME.get(error.detail)
    if known is not None:
        return known
    return because("Not a date (%(error)s); write e.g. 2024-03-05 08:30.", error=error)


def not_a_birth_date(error: BadDate) -> Reason:
    """The reason a birth date cell is refused, as one sentence."""
    if error.detail == YEAR_OUTSIDE:
        return because(
            "Not a birth date (year %(year)s is outside %(low)s-%(high)s); write e.g. 1960-07-01.",
            **error.params,
        )
    if error.detail == NOT_EXCEL:
        return because(
            "Not a birth date (%(serial)s is not an Excel date); write e.g. 1960-07-01.", **error.params
        )
    known = _NOT_A_BIRTH_DATE.get(error.detail)
    if known is not None:
        return known
    return because("Not a birth date (%(error)s); write e.g. 1960-07-01.", error=error)


@dataclass(frozen=True)
class Options:
    source_system: str
    mrn_system: str
    source_kind: str = "exam_report"
    tz: datetime.tzinfo = datetime.UTC
    hash_key: bytes = b""  # optional secret, so the ids do not let anyone test guesses of an ID number
    default_time: datetime.datetime | None = None  # for rows without a time, e.g. the check date given


def text_of(cell: object) -> str:
    """A cell as text: numbers as a person reads them (120, not 120.0), dates in ISO."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, datetime.datetime | datetime.date):
        return cell.isoformat()
    return str(cell).strip()


def stable_id(hash_key: bytes, patient_key: str, indicator: str, utc_time: str) -> str:
    """Source id from what identifies a result (see module doc): the indicator as `normalize_header`
    gives it, the time as UTC ISO text."""
    material = "\x1f".join((patient_key, indicator, utc_time))
    return "t-" + hashlib.blake2b(material.encode(), digest_size=12, key=hash_key).hexdigest()


class _Converter:
    def __init__(self, plan: Plan, options: Options, result: ParseResult):
        self.plan = plan
        self.options = options
        self.result = result
        self.width = len(plan.headers)
        # Absent keys point at one extra, always empty, slot past the last column.
        self.at = {key: plan.positions.get(key, self.width) for key in KEYS}
        # (id number, MRN, name, birth date, sex) as written -> the ref
        self.patients: dict[tuple[str, str, str, datetime.date | None, str], PatientRef] = {}
        self.times: dict[object, datetime.datetime | Reason] = {}  # cell -> time, or why it is not one
        self.utc: dict[datetime.datetime, str] = {}
        self.births: dict[object, datetime.date | Reason] = {}
        self.indicator_keys: dict[str, str] = {}
        self.seen: dict[str, int] = {}
        self.reports: dict[str, list[Any]] = {}  # report id -> [patient, row, time, *REPORT_KEYS]
        self.has_reports = any(k in plan.positions for k in ("report_id", *REPORT_KEYS))
        self.pending: list[tuple[int, str]] = []  # (result index, day report id) of rows without report data

    def problem(self, number: int, key_or_index: str | int, value: str, reason: Reason, code: str) -> None:
        field = self.plan.field_name(key_or_index)
        self.result.problems.append(Problem(f"row {number}", field, value, reason, code))

    def time_of(self, cell: object) -> datetime.datetime | Reason:
        hit = self.times.get(cell)
        if hit is None:
            try:
                hit = to_datetime(cell, self.options.tz)
            except BadDate as error:
                hit = not_a_time(error)
            self.times[cell] = hit
        return hit

    def birth_of(self, cell: object) -> datetime.date | Reason:
        hit = self.births.get(cell)
        if hit is None:
            try:
                hit = to_date(cell)
            except BadDate as error:
                hit = not_a_birth_date(error)
            self.births[cell] = hit
        return hit

    def indicator_key(self, indicator: str) -> str:
        key = self.indicator_keys.get(indicator)
        if key is None:
            key = self.indicator_keys[indicator] = normalize_header(indicator)
        return key

    def utc_text(self, when: datetime.datetime) -> str:
        text = self.utc.get(when)
        if text is None:
            text = self.utc[when] = when.astimezone(datetime.UTC).isoformat()
        return text

    def person(
        self, number: int, cells: list[object], texts: list[str]
    ) -> tuple[PatientRef, str, datetime.datetime] | None:
        """Who and when for a row, or None after reporting why not."""
        at = self.at
        ok = True
        id_number = texts[at["id_number"]].upper()
        mrn = texts[at["mrn"]]
        if not id_number and not mrn:
            key = "id_number" if "id_number" in self.plan.positions else "mrn"
            reason = because("No patient identifier: fill the ID number (身份证号) or the MRN.")
            self.problem(number, key, "", reason, "missing")
            ok = False
        when: datetime.datetime | Reason | None = None
        time_text = texts[at["time"]]
        if not time_text:
            when = self.options.default_time
            if when is None:
                reason = because("No time: fill the date (and time) of the check.")
                self.problem(number, "time", "", reason, "missing")
                ok = False
        else:
            when = self.time_of(cells[at["time"]])
            if isinstance(when, Reason):
                self.problem(number, "time", time_text, when, "bad_date")
                ok = False
        birth = None
        if birth_text := texts[at["birth_date"]]:
            birth = self.birth_of(cells[at["birth_date"]])
            if isinstance(birth, Reason):
                self.problem(number, "birth_date", birth_text, birth, "bad_date")
                ok = False
        if not ok or not isinstance(when, datetime.datetime) or isinstance(birth, Reason):
            return None
        sex_text = texts[at["sex"]]
        identity = (id_number, mrn, texts[at["name"]], birth, sex_text)
        patient = self.patients.get(identity)
        if patient is None:
            sex = SEX.get(sex_text.casefold(), "unknown") if sex_text else ""
            mrn_system = self.options.mrn_system if mrn else ""
            patient = PatientRef(id_number, mrn, mrn_system, identity[2], birth, sex)
            self.patients[identity] = patient
        return patient, (id_number or f"mrn:{self.options.mrn_system}:{mrn}"), when

    def report_of(
        self, number: int, texts: list[str], patient: PatientRef, patient_key: str, when: datetime.datetime
    ) -> tuple[str, str]:
        """(report id, fallback): a row's report number, else one report per person and check day.

        A row without any report column filled joins its day's report only if another row made one
        (the fallback, resolved in `finish`), so a file with the conclusion on its first row groups.
        """
        if not self.has_reports:
            return "", ""
        report_id = texts[self.at["report_id"]]
        details = [texts[self.at[k]] for k in REPORT_KEYS]
        if not report_id:
            day = when.replace(hour=0, minute=0, second=0, microsecond=0)
            report_id = stable_id(self.options.hash_key, patient_key, "report", self.utc_text(day))
            if not any(details):
                return "", report_id
        entry = self.reports.get(report_id)
        if entry is None:
            self.reports[report_id] = [patient, number, when, *details]
        else:
            entry[2] = max(entry[2], when)
            for i, detail in enumerate(details, start=3):
                entry[i] = entry[i] or detail
        return report_id, ""

    def add(
        self,
        number: int,
        column: int,
        who: tuple[PatientRef, str, datetime.datetime],
        indicator: str,
        value: str,
        unit: str,
        texts: list[str],
        report: tuple[str, str],
        source_id: str = "",
    ) -> None:
        patient, patient_key, when = who
        if not source_id:
            key = self.indicator_key(indicator)
            source_id = stable_id(self.options.hash_key, patient_key, key, self.utc_text(when))
        first = self.seen.get(source_id)
        if first is not None:
            reason = because(
                "Same result as row %(row)s (same source id, or same patient, indicator and time); "
                "row %(row)s was kept.",
                row=first,
            )
            self.problem(number, column, value, reason, "duplicate")
            return
        self.seen[source_id] = number
        report_id, fallback = report
        if fallback:
            self.pending.append((len(self.result.results), fallback))
        at = self.at
        self.result.results.append(
            ResultRecord(
                patient,
                indicator,
                value,
                unit,
                when,
                self.options.source_system,
                source_id,
                source_kind=self.options.source_kind,
                report_source_id=report_id,
                reference_range=texts[at["reference_range"]],
                abnormal_flag=texts[at["abnormal_flag"]],
                location=f"row {number}",
            )
        )

    def long_row(self, number: int, cells: list[object], texts: list[str]) -> None:
        at = self.at
        indicator = texts[at["indicator"]]
        value = texts[at["value"]]
        who = self.person(number, cells, texts)
        if not indicator:
            reason = because("No indicator: fill the LOINC code or the item name.")
            self.problem(number, "indicator", "", reason, "missing")
        if not value:
            self.problem(number, "value", "", because("No result value."), "missing")
        if who is None or not indicator or not value:
            return
        report = self.report_of(number, texts, *who)
        unit = texts[at["unit"]]
        self.add(number, at["value"], who, indicator, value, unit, texts, report, texts[at["source_id"]])

    def wide_row(self, number: int, cells: list[object], texts: list[str]) -> None:
        filled = [(i, indicator, unit) for i, indicator, unit in self.plan.indicators if texts[i]]
        if not filled:
            return  # a person without any result in this file: nothing to import, nothing wrong
        who = self.person(number, cells, texts)
        if who is None:
            return
        report = self.report_of(number, texts, *who)
        for index, indicator, unit in filled:
            self.add(number, index, who, indicator, texts[index], unit, texts, report)

    def finish(self) -> None:
        results = self.result.results
        for index, report_id in self.pending:
            if report_id in self.reports:
                results[index] = results[index]._replace(report_source_id=report_id)
        for report_id, (patient, number, issued, institution, package, conclusion) in self.reports.items():
            self.result.reports.append(
                ReportRecord(
                    patient,
                    self.options.source_system,
                    report_id,
                    issued,
                    institution=institution,
                    package=package,
                    conclusion=conclusion,
                    location=f"row {number}",
                )
            )


def convert_rows(
    rows: Iterable[tuple[int, list[object]]], plan: Plan, options: Options, result: ParseResult
) -> None:
    """Append the records and problems of the data rows (those after the header) to `result`."""
    converter = _Converter(plan, options, result)
    handle = converter.wide_row if plan.layout == "wide" else converter.long_row
    width = converter.width + 1
    id_at, name_at = converter.at["id_number"], converter.at["name"]
    columns = converter.width
    for number, cells in rows:
        if len(cells) > columns:  # cells right of the last header belong to no column
            cells = cells[:columns]
        texts = [c.strip() if c.__class__ is str else text_of(c) for c in cells]
        if not any(texts):
            continue
        if len(texts) < width:  # short rows, and the empty slot for absent keys
            texts.extend([""] * (width - len(texts)))
            cells = list(cells) + [None] * (width - len(cells))
        if texts[id_at] == EXAMPLE_ID_NUMBER and texts[name_at] == EXAMPLE_NAME:
            continue  # the template's example row, left in by the person filling it
        handle(number, cells, texts)
    converter.finish()
