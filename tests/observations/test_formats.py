import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from careloop.observations.importing.parsed import ParseResult, ResultRecord
from careloop.observations.sources import formats
from careloop.observations.sources.fhir.keys import keyed_id
from careloop.observations.sources.fhir.ndjson import synthetic_observations
from careloop.observations.sources.tabular import parse_table


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("export.ndjson", "fhir"),
        ("bundle.JSON", "fhir"),
        ("feed.jsonl", "fhir"),
        ("oru.hl7", "hl7v2"),
        ("adt.TXT", "hl7v2"),
        ("results.csv", "csv"),
        ("体检结果.xlsx", "xlsx"),
    ],
)
def test_kind_for(filename, kind):
    assert formats.kind_for(filename) == kind
    assert filename.lower().endswith(formats.SUPPORTED_SUFFIXES)


@pytest.mark.parametrize(
    ("pairs", "mapping"),
    [
        ([], {}),
        (
            ["id_number=证件号码", "", " indicator = 项目名称 "],
            {"id_number": "证件号码", "indicator": "项目名称"},
        ),
        (["value=结果=值"], {"value": "结果=值"}),
    ],
)
def test_parse_mapping(pairs, mapping):
    assert formats.parse_mapping(pairs) == mapping


@pytest.mark.parametrize(
    ("pairs", "bad"), [(["id_number"], 1), (["a=b", "=证件号码"], 2), (["a=b", "", "c= "], 3)]
)
def test_parse_mapping_names_the_malformed_item(pairs, bad):
    with pytest.raises(ValueError) as error:
        formats.parse_mapping(pairs)
    assert error.value.args[0] == bad


def test_a_bundle_file_is_read_whole_by_the_bundle_parser():
    data = (Path(__file__).parent / "samples" / "fhir_transaction_bundle.json").read_bytes()
    (chunk,) = formats.read_chunks(data, "transaction.json", "HIS-A", {})
    # Records, not the NDJSON fast path's rows; the report and the patient with them, nothing refused.
    assert (len(chunk.results), len(chunk.reports), len(chunk.problems)) == (5, 1, 0)
    assert {record.source_system for record in chunk.results} == {"HIS-A"}


RESIDENT_ID = "110105198003070020"  # valid GB 11643 check character
CSV_RESULTS = (
    "身份证号,检查项目,结果,单位,检查时间\r\n"
    f"{RESIDENT_ID},TC,5.1,mmol/L,2024-03-05 08:00\r\n"
    f"{RESIDENT_ID},TG,1.1,mmol/L,2024-03-05 08:00\r\n"
).encode()


def read_all(chunks: Iterator[ParseResult]) -> list[ResultRecord]:
    results = []
    for chunk in chunks:
        if chunk.held is not None:  # NDJSON lines held to look for among the stored ones: none are
            chunk.held.read(set())
        results += chunk.results
    return results


def source_ids(chunks: Iterator[ParseResult]) -> list[str]:
    return [result.source_id for result in read_all(chunks)]


def test_read_chunks_keys_csv_source_ids_with_the_index_key_whoever_calls_it(settings):
    # The upload task passed no key, and its ids were a plain blake2b of the ID number, indicator and time.
    upload = source_ids(
        formats.read_chunks(
            CSV_RESULTS, "results.csv", "HOSP", {}, organization_id=None, limits=settings.IMPORT_LIMITS
        )
    )
    command = source_ids(
        formats.read_chunks(CSV_RESULTS, "results.csv", "HOSP", {}, limits=settings.IMPORT_LIMITS)
    )
    keyed = parse_table(CSV_RESULTS, source_system="HOSP", hash_key=settings.INDEX_KEY.encode())
    unkeyed = parse_table(CSV_RESULTS, source_system="HOSP")  # blake2b without a key
    assert len(upload) == 2
    assert upload == command == [result.source_id for result in keyed.results]
    assert set(upload).isdisjoint(result.source_id for result in unkeyed.results)
    settings.INDEX_KEY = "another organization's index key, 32+ chars"
    assert set(upload).isdisjoint(source_ids(formats.read_chunks(CSV_RESULTS, "results.csv", "HOSP", {})))


def test_read_chunks_keys_fhir_ids_derived_from_identifiers_with_the_index_key(settings):
    line = orjson.dumps(
        {
            "resourceType": "Observation",
            "identifier": [{"value": RESIDENT_ID}],
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2024-03-05T08:00:00+08:00",
            "valueQuantity": {"value": 5.1, "unit": "mmol/L"},
        }
    )
    for filename, data in (("results.ndjson", line), ("bundle.json", bundle_of(line))):
        assert source_ids(formats.read_chunks(data, filename, "HIS", {})) == [
            keyed_id(settings.INDEX_KEY.encode(), RESIDENT_ID)
        ]


def bundle_of(line: bytes) -> bytes:
    return orjson.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": orjson.loads(line)}]}
    )


def test_the_ndjson_line_digests_depend_on_the_index_key(settings):
    data = synthetic_observations(3)

    def digests() -> list[int | None]:
        return [
            result.digest for result in next(formats.read_chunks(data, "results.ndjson", "HIS", {})).results
        ]

    first = digests()
    assert None not in first
    settings.INDEX_KEY = "another organization's index key, 32+ chars"
    assert set(first).isdisjoint(digests())


def test_every_suffix_names_one_format_and_its_import_kind():
    suffixes = [suffix for source_format in formats.FORMATS for suffix in source_format.suffixes]
    assert len(suffixes) == len(set(suffixes)) == len(formats.SUPPORTED_SUFFIXES)
    for source_format in formats.FORMATS:
        for suffix in source_format.suffixes:
            assert formats.format_for("FILE" + suffix.upper()) is source_format
            assert formats.kind_for("file" + suffix) == source_format.kind


MOBILE = "13812345678"
SHAPED_LIKE_AN_ID = re.compile(r"[1-9]\d{16}[\dXx]|1[3-9]\d{9}")
DERIVED_KEY = re.compile(r"k-[0-9a-f]{24}")


def identifier_only_lines() -> bytes:
    """A report, a result and a visit each known only by an identifier made of an ID or a mobile number."""
    subject = {"identifier": {"system": "urn:oid:2.16.156.10011.1.3", "value": RESIDENT_ID}}
    report = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"value": f"R{RESIDENT_ID}"}],
        "subject": subject,
        "issued": "2024-03-05T09:00:00+08:00",
        "result": [{"reference": "Observation/x"}],
    }
    result = {
        "resourceType": "Observation",
        "identifier": [{"value": MOBILE}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
        "subject": subject,
        "effectiveDateTime": "2024-03-05T08:00:00+08:00",
        "valueQuantity": {"value": 5.1, "unit": "mmol/L"},
    }
    visit = {
        "resourceType": "Encounter",
        "identifier": [{"value": RESIDENT_ID}],
        "status": "finished",
        "class": {"code": "IMP"},
        "subject": subject,
        "period": {"start": "2024-03-01", "end": "2024-03-05"},
    }
    resources = [report, result, visit]
    return b"\n".join(orjson.dumps(resource) for resource in resources)


SAMPLES = Path(__file__).parent / "samples"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("oru_checkup_utf8.hl7", (SAMPLES / "oru_checkup_utf8.hl7").read_bytes()),
        ("adt_admit_update_discharge.hl7", (SAMPLES / "adt_admit_update_discharge.hl7").read_bytes()),
        ("fhir_transaction_bundle.json", (SAMPLES / "fhir_transaction_bundle.json").read_bytes()),
        ("identifiers.ndjson", identifier_only_lines()),
        ("results.csv", CSV_RESULTS),
    ],
)
def test_no_id_a_reader_derives_holds_a_resident_id_or_a_mobile_number(filename, data):
    """Only the patient a record names carries the identifiers (for matching); every other text of every
    record, and every problem, is free of them."""
    texts: list[str] = []
    records: list[object] = []
    for chunk in formats.read_chunks(data, filename, "HOSP", {}):
        if chunk.held is not None:
            chunk.held.read(set())
        records += [*chunk.results, *chunk.reports, *chunk.encounters]
        texts += [
            text for problem in chunk.problems for text in (problem.location, problem.value, problem.reason)
        ]
    assert records
    for record in records:
        values = record._asdict() if isinstance(record, ResultRecord) else vars(record)
        texts += [value for name, value in values.items() if name != "patient" and isinstance(value, str)]
    # A source id derived from an identifier is its keyed digest ("k-" and 24 hex digits, fhir/keys.py):
    # it holds no identifier, but its hex digits can by chance read like a mobile number (about one run
    # in a hundred), so it is checked for its form instead.
    digests = [text for text in texts if DERIVED_KEY.fullmatch(text)]
    assert [text for text in texts if text not in digests and SHAPED_LIKE_AN_ID.search(text)] == []
