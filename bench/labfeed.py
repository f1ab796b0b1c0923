"""A hospital laboratory's FHIR NDJSON feed of results, for the import benchmark: what a user imports.

    .venv/bin/python bench/labfeed.py COUNT [--patients 100000] [--seed 22] > feed.ndjson

COUNT Observation lines over 20 LOINC codes of CareLoop's indicator catalogue, one panel per specimen (one
patient, one time, the panel's codes), the way a laboratory information system exports them: an id, a
meta with version and source, an identifier, the order it answers, the specimen, the issue time, the lab's
reference range and H/L flags. The values are drawn around each analyte's normal range from the catalogue:
most normal, some high or low, a few past the critical limits (`CRITICAL_LIMITS`, which the benchmark sets
as the organization's own), written with the analyte's decimals, and some in an alternative unit that the
catalogue converts. Patients are referenced as Patient/p<N>, the MRN the benchmark registers for them.

Deterministic: the same count, patients and seed give the same bytes, and a shorter feed is the start of a
longer one. Times run forward from START and stay in the past.

The catalogue is read from its data file, not imported: the benchmark draws one feed for every checkout it
measures, before it loads any checkout's `careloop` package.
"""

import argparse
import datetime
import json
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "careloop" / "observations" / "data" / "indicators.json"
SOURCE = "http://his.example.cn/fhir"
START = datetime.datetime(2023, 1, 2, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

# The panels a laboratory reports, each drawn from one specimen: 20 codes in all.
PANELS: tuple[tuple[str, ...], ...] = (
    ("1558-6", "4548-4"),  # fasting glucose, HbA1c
    ("2093-3", "2571-8", "18262-6", "2085-9"),  # lipids
    ("2160-0", "3084-1", "3094-0", "62238-1"),  # renal function
    ("1742-6", "1920-8", "2324-2", "1751-7", "1975-2"),  # liver function
    ("2823-3", "2951-2"),  # electrolytes
    ("6690-2", "718-7", "777-3"),  # blood count
)

# Where the catalogue gives one side of the normal range only (a guideline's cut-off), the other side of a
# healthy adult's values, so that normal values spread as a laboratory's do.
OTHER_SIDE: dict[str, tuple[float | None, float | None]] = {
    "4548-4": (4.0, None),
    "2093-3": (3.0, None),
    "2571-8": (0.5, None),
    "18262-6": (1.5, None),
    "2085-9": (None, 2.2),
    "62238-1": (None, 125.0),
    "3084-1": (150.0, None),
    "1975-2": (3.4, None),
}

# Critical limits (low, high) in the canonical unit, as a hospital sets them; the benchmark stores them as
# the organization's. A side left None keeps the catalogue's (fasting glucose has a low one).
CRITICAL_LIMITS: dict[str, tuple[float | None, float | None]] = {
    "2823-3": (2.8, 6.2),
    "2951-2": (120.0, 160.0),
    "1558-6": (None, 22.2),
    "718-7": (60.0, None),
    "777-3": (30.0, 1000.0),
    "6690-2": (2.0, 30.0),
    "2160-0": (None, 707.0),
}

# Out of a hundred results: high, low, past a critical limit; the rest normal. One in twenty is sent in
# the analyte's alternative unit.
HIGH, LOW, CRITICAL = 12, 7, 1
# Where there is no critical limit, a far-out value is a low one for these (kidneys, liver, HDL failing).
LOW_IS_WORSE = frozenset({"62238-1", "1751-7", "2085-9"})
ALTERNATIVE_UNIT = 0.05


@dataclass(frozen=True, slots=True)
class Analyte:
    code: str
    name: str
    name_zh: str
    unit: str
    decimals: int
    low: float  # the normal range
    high: float
    plausible: tuple[float, float]
    critical: tuple[float | None, float | None]
    other_unit: str  # the first alternative unit the catalogue converts ("" if none)
    factor: float  # canonical = other x factor
    other_decimals: int


def analytes(path: Path = CATALOGUE) -> dict[str, Analyte]:
    """The 20 analytes of PANELS as the catalogue describes them (an adult's range: its first)."""
    entries = {entry["code"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))["indicators"]}
    found = {}
    for code in (code for panel in PANELS for code in panel):
        entry = entries[code]
        first = entry["ranges"][0]
        assumed_low, assumed_high = OTHER_SIDE.get(code, (None, None))
        low, high = first["low"], first["high"]
        low, high = assumed_low if low is None else low, assumed_high if high is None else high
        if low is None or high is None:
            raise ValueError(f"{code}: the catalogue's range has one side only; add the other to OTHER_SIDE")
        critical_low, critical_high = CRITICAL_LIMITS.get(code, (None, None))
        critical = (entry["critical_low"] if critical_low is None else critical_low, critical_high)
        other = entry["conversions"][0] if entry["conversions"] else None
        factor = 1.0
        if other is not None:
            factor = other["factor"] if "factor" in other else 1 / other["divisor"]
        decimals = entry["decimals"]
        # A unit ten times larger needs one more decimal for the same precision (mg/dL creatinine 0.92).
        other_decimals = min(3, max(0, decimals + round(math.log10(factor))))
        found[code] = Analyte(
            code, entry["name_en"], entry["name_zh"], entry["unit"], decimals, low, high,
            (entry["plausible_min"], entry["plausible_max"]), critical,
            other["unit"] if other else "", factor, other_decimals,
        )  # fmt: skip
    return found


def draw(analyte: Analyte, rng: random.Random) -> tuple[float, str]:
    """A value in the canonical unit and the lab's interpretation code (N, H, L, HH, LL)."""
    low, high = analyte.low, analyte.high
    width = high - low
    critical_low, critical_high = analyte.critical
    lowest, highest = analyte.plausible[0] * 1.1, analyte.plausible[1] * 0.9  # refused beyond plausible
    roll = rng.randrange(100)
    if roll < CRITICAL:
        if critical_low is not None and (critical_high is None or rng.random() < 0.5):
            bottom = max(lowest, critical_low * 0.5, critical_low - width * 0.6)
            return rng.uniform(bottom, critical_low * 0.98), "LL"
        if critical_high is not None:
            return min(critical_high + width * rng.uniform(0.05, 0.6), highest), "HH"
        if analyte.code in LOW_IS_WORSE:
            return max(low * rng.uniform(0.15, 0.5), lowest), "L"
        return min(high + width * rng.uniform(1.5, 3), highest), "H"
    if roll < CRITICAL + HIGH:
        # Up to 0.7 of the range's width above it, short of a critical limit.
        top = min(high + width * 0.7, critical_high * 0.98 if critical_high else highest)
        return high + (top - high) * rng.uniform(0.02, 1), "H"
    if roll < CRITICAL + HIGH + LOW:
        bottom = max(low - (low - lowest) * 0.6, (critical_low or 0) * 1.02, lowest)
        return low - (low - bottom) * rng.uniform(0.05, 1), "L"
    return rng.triangular(low, high), "N"


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _quantity(value: float, unit: str, decimals: int) -> str:
    return (
        f'{{"value":{_number(value, decimals)},"unit":{json.dumps(unit)},'
        f'"system":"http://unitsofmeasure.org","code":{json.dumps(unit)}}}'
    )


def _stamp(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def line(
    analyte: Analyte, value: float, interpretation: str, specimen: int, patient: int,
    taken: datetime.datetime, issued: datetime.datetime, other_unit: bool,
) -> bytes:  # fmt: skip
    """One Observation, keys in the order a FHIR server exports them."""
    unit, decimals, scale = analyte.unit, analyte.decimals, 1.0
    if other_unit:
        unit, decimals, scale = analyte.other_unit, analyte.other_decimals, 1 / analyte.factor
    accession = f"S{specimen:09d}"
    reference_range = (
        f'{{"low":{{"value":{_number(analyte.low * scale, decimals)},"unit":{json.dumps(unit)}}},'
        f'"high":{{"value":{_number(analyte.high * scale, decimals)},"unit":{json.dumps(unit)}}}}}'
    )
    text = (
        f'{{"resourceType":"Observation","id":"{accession}-{analyte.code}",'
        f'"meta":{{"versionId":"1","lastUpdated":"{_stamp(issued)}","source":"{SOURCE}"}},'
        f'"identifier":[{{"system":"http://his.example.cn/lis/result","value":"{accession}-{analyte.code}"}}],'
        f'"basedOn":[{{"reference":"ServiceRequest/{accession}"}}],"status":"final",'
        '"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category",'
        '"code":"laboratory","display":"Laboratory"}]}],'
        f'"code":{{"coding":[{{"system":"http://loinc.org","code":"{analyte.code}",'
        f'"display":{json.dumps(analyte.name)}}}],"text":{json.dumps(analyte.name_zh, ensure_ascii=False)}}},'
        f'"subject":{{"reference":"Patient/p{patient}"}},"effectiveDateTime":"{_stamp(taken)}",'
        f'"issued":"{_stamp(issued)}","valueQuantity":{_quantity(value * scale, unit, decimals)},'
        '"interpretation":[{"coding":[{"system":'
        f'"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"{interpretation}"}}]}}],'
        f'"referenceRange":[{reference_range}],"specimen":{{"reference":"Specimen/{accession}"}}}}'
    )
    return text.encode()


def lines(count: int, patients: int = 100_000, seed: int = 22) -> Iterator[bytes]:
    """The feed, line by line (without the newline)."""
    rng = random.Random(seed)
    known = analytes()
    # Consecutive specimens belong to patients far apart, each patient's turn coming round every
    # `patients` specimens: a stride coprime to the number of patients visits each once per turn.
    stride = next(s for s in range(7919, 7919 + patients) if math.gcd(s, patients) == 1)
    taken, written, specimen = START, 0, 0
    now = datetime.datetime.now(datetime.UTC)
    while written < count:
        patient = specimen * stride % patients
        panel = PANELS[(specimen // patients + patient) % len(PANELS)]
        # Every specimen has a later time than the one before: no patient has two results of one code
        # at one time, so each line is a result of its own.
        taken += datetime.timedelta(seconds=rng.randint(20, 200))
        issued = taken + datetime.timedelta(minutes=rng.randint(30, 240))
        if issued > now:  # an import refuses results from the future: this feed would not be a lab's
            raise ValueError(f"{count} lines reach past today from {START:%Y-%m-%d}: move START back")
        for code in panel[: count - written]:
            analyte = known[code]
            value, interpretation = draw(analyte, rng)
            other_unit = bool(analyte.other_unit) and rng.random() < ALTERNATIVE_UNIT
            yield line(analyte, value, interpretation, specimen, patient, taken, issued, other_unit)
            written += 1
        specimen += 1


def feed(count: int, patients: int = 100_000, seed: int = 22) -> bytes:
    return b"".join(text + b"\n" for text in lines(count, patients, seed))


def write(path: Path, count: int, patients: int = 100_000, seed: int = 22) -> Path:
    with path.open("wb") as out:
        for text in lines(count, patients, seed):
            out.write(text + b"\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    for text in lines(args.count, args.patients, args.seed):
        sys.stdout.buffer.write(text + b"\n")


if __name__ == "__main__":
    main()
