"""Rows of cells -> ResultRecords, ReportRecords and Problems, for both layouts.

Long layout: one row per result (the template). Wide layout: one row per person and check, one
column per indicator. Each refused row gives a Problem at "row N" (the spreadsheet's own number) and
"column <letter> (<header>)"; empty rows are skipped silently, and so are empty indicator cells of the
wide layout (an item not in that person's package). A result's location is its row ("row N"), in the
wide layout its cell ("row N / column E"), for the import steps' refusals to point at.

Source ids come from what a result means (identity.py), so a corrected export with rows re-ordered or
values fixed updates the rows it made (keeping the old value as history) instead of adding duplicates.
Two rows of one file with the same id are reported as duplicates; the first is kept. An identifier
cell that arrived as a number is refused (identity.py), and so is its row.

Speed: a file repeats few distinct times and people, so times, their UTC text and PatientRefs are
cached per file; each row is turned into a list of stripped texts once.
Pure: no Django import.
"""

import datetime
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
from careloop.observations.sources.tabular.columns import COLUMNS, Plan, column_letter, normalize_header
from careloop.observations.sources.tabular.date_reasons import not_a_birth_date, not_a_time
from careloop.observations.sources.tabular.dates import BadDate, to_date, to_datetime
from careloop.observations.sources.tabular.identity import (
    IDENTIFIER_AS_NUMBER,
    IDENTIFIER_KEYS,
    arrived_as_number,
    identifier_as_number,
    instant_text,
    result_id,
    stable_id,
    text_of,
)
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


@dataclass(frozen=True)
class Options:
    source_system: str
    mrn_system: str
    source_kind: str = "exam_report"
    tz: datetime.tzinfo = datetime.UTC
    hash_key: bytes = b""  # the index key: ids that contain an ID number must not let guesses be tested
    default_time: datetime.datetime | None = None  # for rows without a time, e.g. the check date given


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
        self.instants: dict[datetime.datetime, str] = {}
        self.births: dict[object, datetime.date | Reason] = {}
        self.indicator_keys: dict[str, str] = {}
        self.seen: dict[str, int] = {}
        self.reports: dict[str, list[Any]] = {}  # report id -> [patient, row, time, *REPORT_KEYS]
        self.has_reports = any(k in plan.positions for k in ("report_id", *REPORT_KEYS))
        # A wide row's results each have a column of their own, which their place names: a refusal of
        # the import steps (an unknown unit, say) then points at the cell. A long row is one result.
        self.wide = plan.layout == "wide"
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

    def instant(self, when: datetime.datetime) -> str:
        text = self.instants.get(when)
        if text is None:
            text = self.instants[when] = instant_text(when)
        return text

    def identifiers_typed(self, number: int, cells: list[object], texts: list[str]) -> bool:
        """Whether the row's identifier cells hold what was typed; reports each that became a number."""
        typed = True
        for key in IDENTIFIER_KEYS:
            position = self.at[key]
            if texts[position] and arrived_as_number(cells[position], texts[position]):
                self.problem(number, key, texts[position], identifier_as_number(), IDENTIFIER_AS_NUMBER)
                typed = False
        return typed

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
            reason = because("No patient identifier: fill the ID number or the MRN.")
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
            report_id = stable_id(self.options.hash_key, patient_key, "report", self.instant(day))
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
        report_id, fallback = report
        if not source_id:
            key = self.indicator_key(indicator)
            # The report number the row gives, not the per-day report it may be grouped under.
            given = texts[self.at["report_id"]]
            source_id = result_id(self.options.hash_key, given, patient_key, key, self.instant(when))
        first = self.seen.get(source_id)
        if first is not None:
            reason = because(
                "Same result as row %(row)s (same result id, or same report or patient, indicator and "
                "time); row %(row)s was kept.",
                row=first,
            )
            self.problem(number, column, value, reason, "duplicate")
            return
        self.seen[source_id] = number
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
                location=f"row {number} / column {column_letter(column)}" if self.wide else f"row {number}",
            )
        )

    def long_row(self, number: int, cells: list[object], texts: list[str]) -> None:
        at = self.at
        indicator = texts[at["indicator"]]
        value = texts[at["value"]]
        typed = self.identifiers_typed(number, cells, texts)
        who = self.person(number, cells, texts)
        if not indicator:
            reason = because("No indicator: fill the LOINC code or the item name.")
            self.problem(number, "indicator", "", reason, "missing")
        if not value:
            self.problem(number, "value", "", because("No result value."), "missing")
        if who is None or not typed or not indicator or not value:
            return
        report = self.report_of(number, texts, *who)
        unit = texts[at["unit"]]
        self.add(number, at["value"], who, indicator, value, unit, texts, report, texts[at["source_id"]])

    def wide_row(self, number: int, cells: list[object], texts: list[str]) -> None:
        filled = [(i, indicator, unit) for i, indicator, unit in self.plan.indicators if texts[i]]
        if not filled:
            return  # a person without any result in this file: nothing to import, nothing wrong
        typed = self.identifiers_typed(number, cells, texts)
        who = self.person(number, cells, texts)
        if who is None or not typed:
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
