import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from careloop.observations.importing.parsed import ParseResult, Problem
from careloop.observations.sources.hl7v2.ack import (
    MAX_ERR_SEGMENTS,
    acknowledgement_code,
    build_ack,
    error_code,
    respond,
    segment_count,
)
from careloop.observations.sources.hl7v2.header import read_header
from careloop.observations.sources.hl7v2.messages import parse_message

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime.datetime(2024, 3, 15, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
MSH = r"MSH|^~\&|LIS|HOSP-A|CARELOOP|CL|20240315103000||ORU^R01^ORU_R01|MSG00001|P|{version}||||||{charset}"


def segments(ack: bytes | str, charset: str = "utf-8") -> dict[str, list[list[str]]]:
    text = ack.decode(charset) if isinstance(ack, bytes) else ack
    assert text.endswith("\r")
    found: dict[str, list[list[str]]] = {}
    for line in text.rstrip("\r").split("\r"):
        fields = line.split("|")
        found.setdefault(fields[0], []).append(fields)
    return found


def test_aa_ack_swaps_sender_and_receiver_and_keeps_version():
    header = read_header(MSH.format(version="2.5.1", charset="UNICODE UTF-8"))
    ack = segments(build_ack(header, "AA", now=NOW, control_id="ACK1"))
    [msh] = ack["MSH"]
    assert msh[2:6] == ["CARELOOP", "CL", "LIS", "HOSP-A"]
    assert msh[6] == "20240315103000+0800"
    assert msh[8:12] == ["ACK^R01^ACK", "ACK1", "P", "2.5.1"]
    assert msh[17] == "UNICODE UTF-8"
    assert ack["MSA"] == [["MSA", "AA", "MSG00001"]]
    assert "ERR" not in ack


def test_ack_has_a_new_control_id_each_time():
    header = read_header(MSH.format(version="2.5.1", charset=""))
    first, second = (segments(build_ack(header, "AA"))["MSH"][0][9] for _ in range(2))
    assert first != second
    assert first != "MSG00001"


def test_ae_ack_lists_each_problem_in_err():
    header = read_header(MSH.format(version="2.5.1", charset=""))
    problems = [
        Problem("message 1 / OBX 2", "OBX-5", "", "no observation value (OBX-5)", "missing"),
        Problem("message 1 / OBX 3", "OBX-14", "2024-03-15", "OBX-14 is not an HL7 timestamp", "invalid"),
    ]
    ack = segments(build_ack(header, "AE", problems, now=NOW))
    [msa] = ack["MSA"]
    assert msa[:3] == ["MSA", "AE", "MSG00001"]
    assert "OBX-5" in msa[3]
    first, second = ack["ERR"]
    assert first[2:5] == ["OBX^2^5", "101^Required field missing^HL70357", "E"]
    assert first[8] == "message 1 / OBX 2, OBX-5: no observation value (OBX-5)"
    assert second[2:5] == ["OBX^3^14", "102^Data type error^HL70357", "E"]
    assert "2024-03-15" in second[8]


def test_err_user_message_escapes_delimiters_and_hides_pid_values():
    header = read_header(MSH.format(version="2.5.1", charset=""))
    problems = [
        Problem("message 1 / PID 1", "PID-7", "11010519491231002X", "bad | date ^ here", "invalid"),
    ]
    [err] = segments(build_ack(header, "AE", problems))["ERR"]
    assert err[8] == r"message 1 / PID 1, PID-7: bad \F\ date \S\ here"
    assert "11010519491231002X" not in build_ack(header, "AE", problems)


def test_versions_before_2_5_also_get_err_1():
    header = read_header(MSH.format(version="2.4", charset=""))
    problem = Problem("message 1 / OBX 2", "OBX-5", "", "no value", "missing")
    [err] = segments(build_ack(header, "AE", [problem]))["ERR"]
    assert err[1] == "OBX^2^5^101&Required field missing&HL70357"


def test_ar_for_an_unreadable_message_has_an_empty_msa_2():
    ack = respond(b"this is not HL7", lambda parsed: [])
    found = segments(ack)
    assert found["MSA"][0][:3] == ["MSA", "AR", ""]
    assert found["ERR"][0][3] == "100^Segment sequence error^HL70357"


@pytest.mark.parametrize(
    ("problem", "code"),
    [
        (Problem("", "OBX", "", "", "sequence"), "100"),
        (Problem("", "OBX-3", "", "", "missing"), "101"),
        (Problem("", "OBX-14", "", "", "invalid"), "102"),
        (Problem("", "OBX-11", "", "", "unknown_code"), "103"),
        (Problem("", "OBX-6", "", "", "unknown_unit"), "103"),
        (Problem("", "MSH-9", "ORM^O01", "", "unsupported"), "200"),
        (Problem("", "MSH-9", "ADT^A04", "", "unsupported"), "201"),
        (Problem("", "MSH-12", "3.0", "", "unsupported"), "203"),
        (Problem("", "PID-3", "", "", "unmatched"), "204"),
        (Problem("", "OBX-5", "", "", "implausible"), "207"),
    ],
)
def test_problem_codes_map_to_hl7_table_0357(problem, code):
    assert error_code(problem) == code


@pytest.mark.parametrize(
    ("parse_problems", "outcome", "code"),
    [
        ([], [], "AA"),
        ([Problem("message 1 / OBX 2", "OBX-5", "", "", "missing")], [], "AE"),
        ([], [Problem("message 1 / OBX 1", "OBX-5", "1200", "implausible", "implausible")], "AE"),
        ([Problem("message 1", "MSH-9", "ORM^O01", "", "unsupported")], [], "AR"),
        ([Problem("message 1", "MSH-10", "", "", "missing")], [], "AR"),
        ([Problem("message 1", "MSH", "", "", "malformed")], [], "AR"),
    ],
)
def test_acknowledgement_code_from_parse_and_pipeline(parse_problems, outcome, code):
    assert acknowledgement_code(ParseResult(problems=parse_problems), outcome) == code


@pytest.mark.parametrize(
    ("sample", "code", "called"),
    [
        ("oru_checkup_utf8.hl7", "AA", True),
        ("broken_obx_no_value.hl7", "AE", True),  # the good results still reach the pipeline
        ("broken_missing_pid.hl7", "AE", True),
        ("broken_unknown_type.hl7", "AR", False),
    ],
)
def test_respond_to_samples(sample, code, called):
    seen: list[ParseResult] = []

    def store(parsed: ParseResult) -> list[Problem]:
        seen.append(parsed)
        return []

    ack = respond((SAMPLES / sample).read_bytes(), store)
    assert segments(ack)["MSA"][0][1] == code
    assert bool(seen) == called


def test_respond_reports_pipeline_refusals_as_ae():
    refused = Problem("message 1 / OBX 1", "OBX-5", "1200", "implausible systolic pressure", "implausible")
    ack = segments(respond((SAMPLES / "oru_checkup_utf8.hl7").read_bytes(), lambda parsed: [refused]))
    assert ack["MSA"][0][1] == "AE"
    assert ack["ERR"][0][3] == "207^Application internal error^HL70357"
    assert "implausible systolic pressure" in ack["ERR"][0][8]


def test_respond_answers_ae_207_when_the_pipeline_fails():
    def failing(parsed):
        raise RuntimeError("database is locked")

    ack = segments(respond((SAMPLES / "oru_checkup_utf8.hl7").read_bytes(), failing))
    assert ack["MSA"][0][1] == "AE"
    assert ack["ERR"][0][3].startswith("207^")


def test_respond_answers_in_gb18030_to_a_gb18030_message():
    ack = respond((SAMPLES / "oru_vitals_gb18030.hl7").read_bytes(), lambda parsed: [])
    found = segments(ack, "gb18030")
    assert found["MSH"][0][5] == "東城区社区卫生服务中心"  # MSH-6: the original sending facility
    assert found["MSH"][0][17] == "GB 18030-2000"
    assert found["MSA"][0][:3] == ["MSA", "AA", "GB0001"]


def test_ack_to_a_parsed_message_round_trips_through_the_parser():
    header = read_header(MSH.format(version="2.5.1", charset=""))
    ack = build_ack(header, "AA")
    [problem] = parse_message(ack).problems  # an ACK is read back as a valid MSH of type ACK
    assert (problem.field, problem.code) == ("MSH-9", "unsupported")


ORU_HEAD = (
    MSH.format(version="2.5.1", charset="UNICODE UTF-8")
    + "\rPID|1||MR123456^^^HOSP-A^MR||王小明||19491231|M"
    + "\rOBR|1|PL1|FL1|HC01^体检^L|||20240315080000"
)


def oru(*obx: str) -> bytes:
    return "\r".join([ORU_HEAD, *obx]).encode() + b"\r"


def glucose(n: int, sub_id: str = "") -> str:
    return f"OBX|{n}|NM|14749-6^Glucose^LN|{sub_id}|{5 + n / 10}|mmol/L|3.9-6.1||||F"


def test_results_that_collapse_into_one_row_get_a_warning_and_stay_aa():
    message = oru(glucose(1), glucose(2), glucose(3), "OBX|4|NM|4548-4^HbA1c^LN||6.1|%|4.0-6.0||||F")
    ack = segments(respond(message, lambda parsed: []))
    assert ack["MSA"] == [["MSA", "AA", "MSG00001"]]
    [err] = ack["ERR"]
    assert err[2:5] == ["OBX^2^4", "205^Duplicate key identifier^HL70357", "W"]
    assert "3 results of code 14749-6" in err[8]
    assert "2 of them were not stored" in err[8]


def test_results_told_apart_by_obx_4_get_no_warning():
    message = oru(glucose(1, "1"), glucose(2, "2"), glucose(3, "3"))
    assert "ERR" not in segments(respond(message, lambda parsed: []))


def test_the_collapse_warning_follows_the_errors_of_an_ae():
    message = oru(glucose(1), glucose(2), "OBX|3|NM|4548-4^HbA1c^LN||||||||F")
    ack = segments(respond(message, lambda parsed: []))
    assert ack["MSA"][0][1] == "AE"
    assert [err[4] for err in ack["ERR"]] == ["E", "W"]


def test_a_hundred_thousand_repeats_of_one_code_are_refused_ae_without_reaching_the_pipeline():
    """The probe of issue 21: 100,001 OBX of one code without OBX-4 were answered AA, stored as one row."""
    called: list[ParseResult] = []

    def store(parsed: ParseResult) -> list[Problem]:
        called.append(parsed)
        return []

    message = oru(*(glucose(1) for _ in range(100_001)))
    ack = segments(respond(message, store))
    assert ack["MSA"][0][1] == "AE"
    assert "100004 segments, more than the 10000 accepted" in ack["MSA"][0][3] + ack["ERR"][0][8]
    assert called == []


def test_segment_limit_is_a_parameter():
    message = oru(glucose(1), glucose(2, "2"))
    assert segments(respond(message, lambda parsed: [], max_segments=4))["MSA"][0][1] == "AE"
    assert segments(respond(message, lambda parsed: [], max_segments=5))["MSA"][0][1] == "AA"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("MSH", 1),
        ("MSH\r", 1),
        ("MSH\rPID", 2),
        ("MSH\r\nPID\r\n", 2),
        ("MSH\nPID\nOBX", 3),
        ("MSH\r\rPID\r", 3),  # a blank line counts
    ],
)
def test_segment_count(text, count):
    assert segment_count(text) == count


def test_warnings_and_errors_together_are_capped_in_the_ack():
    header = read_header(MSH.format(version="2.5.1", charset=""))
    problem = Problem("message 1 / OBX 2", "OBX-5", "", "no value", "missing")
    warning = Problem("message 1 / OBX 3", "OBX-4", "", "collapsed", "duplicate")
    ack = segments(build_ack(header, "AE", [problem] * 30, warnings=[warning] * 30))
    assert len(ack["ERR"]) == MAX_ERR_SEGMENTS + 1
    assert ack["ERR"][-1][8] == "10 more problems not listed"
    assert ack["ERR"][-1][4] == "W"
