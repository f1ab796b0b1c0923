from pathlib import Path

import pytest

from careloop.observations.sources import formats


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
