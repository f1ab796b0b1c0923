import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from careloop.observations.sources.hl7v2.messages import parse_file, parse_message
from careloop.observations.sources.hl7v2.segments import Delimiters, escape, unescape
from careloop.observations.sources.hl7v2.timestamps import TimestampError, parse_timestamp

SAMPLES = Path(__file__).parent / "samples"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MSH = r"MSH|^~\&|LIS|HOSP-A|CL|CL|20240315103000||ORU^R01|C1|P|2.5.1"
PID = "PID|1||MR1^^^HOSP-A^MR||张伟||19800101|M"
OBR = "OBR|1|PL1|FL1|LIPID^血脂^L|||20240315080000"


def oru(*obx: str, pid: str = PID, obr: str = OBR, msh: str = MSH) -> str:
    return "\r".join([msh, pid, obr, *obx]) + "\r"


def obx(value_type="NM", code="TC^总胆固醇^L", value="5.8", unit="mmol/L", status="F", time="", sub_id=""):
    fields = ["OBX", "1", value_type, code, sub_id, value, unit, "", "", "", "", status, "", "", time]
    return "|".join(fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", datetime.datetime(2024, 1, 1, tzinfo=SHANGHAI)),
        ("202403", datetime.datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("20240315", datetime.datetime(2024, 3, 15, tzinfo=SHANGHAI)),
        ("2024031508", datetime.datetime(2024, 3, 15, 8, tzinfo=SHANGHAI)),
        ("202403150830", datetime.datetime(2024, 3, 15, 8, 30, tzinfo=SHANGHAI)),
        ("20240315083015", datetime.datetime(2024, 3, 15, 8, 30, 15, tzinfo=SHANGHAI)),
        ("20240315083015.25", datetime.datetime(2024, 3, 15, 8, 30, 15, 250000, tzinfo=SHANGHAI)),
        ("20240315083015.1234", datetime.datetime(2024, 3, 15, 8, 30, 15, 123400, tzinfo=SHANGHAI)),
        ("20240315083015+0000", datetime.datetime(2024, 3, 15, 8, 30, 15, tzinfo=datetime.UTC)),
        ("202403150830-0500", datetime.datetime(2024, 3, 15, 13, 30, tzinfo=datetime.UTC)),
        ("20240315+0800", datetime.datetime(2024, 3, 14, 16, tzinfo=datetime.UTC)),
    ],
)
def test_hl7_timestamps_become_aware_datetimes(text, expected):
    parsed = parse_timestamp(text, SHANGHAI)
    assert parsed.tzinfo is not None
    assert parsed == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not an HL7 timestamp"),
        ("2024-03-15", "not an HL7 timestamp"),
        ("2024031", "not an HL7 timestamp"),  # a month needs two digits
        ("20240315.5", "not an HL7 timestamp"),  # fractions only after seconds
        ("20240230", "not a real date"),
        ("20240315250000", "not a real date"),
        ("20240315+0860", "impossible UTC offset"),
    ],
)
def test_bad_timestamps_say_why(text, reason):
    with pytest.raises(TimestampError, match=reason):
        parse_timestamp(text, SHANGHAI)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (r"a\F\b", "a|b"),
        (r"a\S\b", "a^b"),
        (r"a\T\b", "a&b"),
        (r"a\R\b", "a~b"),
        (r"a\E\b", "a\\b"),
        (r"line\.br\next", "line\nnext"),
        (r"\H\bold\N\ text", "bold text"),
        ("\\X41\\", "A"),
        (r"\Q\ unknown", r"\Q\ unknown"),
        ("plain", "plain"),
    ],
)
def test_escape_sequences_are_decoded(raw, text):
    assert unescape(raw, Delimiters()) == text


def test_escape_round_trips_delimiters():
    d = Delimiters()
    text = "a|b^c&d~e\\f\ng"
    assert unescape(escape(text, d), d) == text


@pytest.mark.parametrize(
    ("value_type", "value", "expected"),
    [
        ("NM", "5.8", "5.8"),
        ("NM", " 12 ", "12"),
        ("SN", "<^0.1", "<0.1"),
        ("SN", ">^500", ">500"),
        ("SN", "^10^-^20", "10-20"),
        ("SN", "^1^:^128", "1:128"),
        ("ST", "阴性", "阴性"),
        ("ST", "positive~weak", "positive\nweak"),
        ("CWE", "260385009^Negative^SCT", "Negative"),
        ("", "text without a type", "text without a type"),
    ],
)
def test_obx5_value_by_value_type(value_type, value, expected):
    result = parse_message(oru(obx(value_type=value_type, value=value)))
    assert result.problems == []
    assert result.results[0].value == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("14749-6^Glucose^LN", "14749-6"),
        ("GLU^空腹血糖^L^14749-6^Glucose^LN", "14749-6"),  # LOINC sent as the alternate code
        ("GLU^空腹血糖^L", "GLU"),  # local code kept for the catalogue's aliases
        ("^空腹血糖^L", "空腹血糖"),
    ],
)
def test_obx3_loinc_or_local_code(code, expected):
    assert parse_message(oru(obx(code=code))).results[0].code == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("F", "final"),
        ("C", "corrected"),
        ("P", "preliminary"),
        ("X", "cancelled"),
        ("", "final"),
        ("W", "entered-in-error"),
    ],
)
def test_obx11_status_maps_to_fhir_status(status, expected):
    assert parse_message(oru(obx(status=status))).results[0].status == expected


def test_cancelled_result_needs_no_value():
    result = parse_message(oru(obx(status="X", value="")))
    assert result.problems == []
    assert result.results[0].status == "cancelled"


def test_pending_status_is_refused_with_the_field_named():
    [problem] = parse_message(oru(obx(status="I"))).problems
    assert (problem.location, problem.field, problem.value, problem.code) == (
        "message 1 / OBX 1",
        "OBX-11",
        "I",
        "unknown_code",
    )


def test_nm_value_that_is_not_a_number_is_refused():
    [problem] = parse_message(oru(obx(value_type="NM", value="high"))).problems
    assert (problem.field, problem.value) == ("OBX-5", "high")


def test_obx14_wins_over_obr7_and_obr7_is_the_fallback():
    results = parse_message(oru(obx(time="20240315091500"), obx(code="TG^甘油三酯^L"))).results
    assert results[0].effective_at == datetime.datetime(2024, 3, 15, 9, 15, tzinfo=SHANGHAI)
    assert results[1].effective_at == datetime.datetime(2024, 3, 15, 8, 0, tzinfo=SHANGHAI)


def test_missing_observation_time_everywhere_is_a_problem():
    result = parse_message(oru(obx(), obr="OBR|1||FL1|LIPID"))
    assert [(p.field, p.code) for p in result.problems] == [("OBX-14", "missing")]
    assert result.results == []


def test_source_id_is_report_id_and_code_so_a_resend_updates_the_same_result():
    first = parse_message(oru(obx(value="5.8"), obx(code="TG^甘油三酯^L")))
    # The re-send: new control id, the OBX set ids renumbered, a corrected value.
    resend_msh = MSH.replace("|C1|", "|C2|")
    again = parse_message(oru(obx(code="TG^甘油三酯^L"), obx(value="5.6", status="C"), msh=resend_msh))
    ids = {r.source_id: r.value for r in first.results}
    ids_again = {r.source_id: r.value for r in again.results}
    assert set(ids) == set(ids_again) == {"FL1/TC", "FL1/TG"}
    assert ids_again["FL1/TC"] == "5.6"


def test_obx4_sub_id_tells_repeats_of_one_code_apart():
    results = parse_message(oru(obx(sub_id="1"), obx(sub_id="2"))).results
    assert [r.source_id for r in results] == ["FL1/TC/1", "FL1/TC/2"]


def test_placer_order_number_is_used_when_no_filler_number_is_sent():
    result = parse_message(oru(obx(), obr="OBR|1|PL7||LIPID|||20240315080000"))
    assert result.results[0].source_id == "PL7/TC"
    assert result.reports[0].source_id == "PL7"


def test_obr_without_any_order_number_refuses_its_results_with_one_problem():
    result = parse_message(oru(obx(), obx(), obr="OBR|1|||LIPID|||20240315080000"))
    assert [(p.location, p.field) for p in result.problems] == [("message 1 / OBR 1", "OBR-3")]
    assert result.results == []


def test_obx_before_any_obr_is_a_sequence_error():
    text = "\r".join([MSH, PID, obx()]) + "\r"
    [problem] = parse_message(text).problems
    assert (problem.location, problem.field, problem.code) == ("message 1 / OBX 1", "OBR", "sequence")


@pytest.mark.parametrize(
    ("pid3", "id_number", "mrn", "mrn_system"),
    [
        ("MR1^^^HOSP-A^MR", "", "MR1", "HOSP-A"),
        ("MR1^^^HOSP-A^MR~11010519491231002X^^^^ID", "11010519491231002X", "MR1", "HOSP-A"),
        ("11010519491231002X^^^居民身份证~P9^^^HOSP-A^PI", "11010519491231002X", "P9", "HOSP-A"),
        ("11010519491231002X^^^CHN^NNCHN~MR1^^^HOSP-A^MR", "11010519491231002X", "MR1", "HOSP-A"),
        ("11010519491231002X~MR1^^^HOSP-A", "11010519491231002X", "MR1", "HOSP-A"),  # shape + check digit
        ("110105194912310021~MR1^^^HOSP-A", "", "110105194912310021", "HOSP-A"),  # wrong check digit: an MRN
        ("P9^^^HOSP-A^PI~MR1^^^HOSP-A^MR", "", "MR1", "HOSP-A"),  # MR preferred over PI
        ("MR1", "", "MR1", "HOSP-A"),  # no assigning authority: the sending facility
        ("MR1^^^&1.2.156.112604.1.2.3&ISO^MR", "", "MR1", "1.2.156.112604.1.2.3"),
    ],
)
def test_pid3_repetitions_give_id_number_and_mrn(pid3, id_number, mrn, mrn_system):
    patient = parse_message(oru(obx(), pid=f"PID|1||{pid3}||张伟||19800101|M")).results[0].patient
    assert (patient.id_number, patient.mrn, patient.mrn_system) == (id_number, mrn, mrn_system)


@pytest.mark.parametrize(
    ("pid5", "name"),
    [
        ("张伟", "张伟"),
        ("张^伟", "张伟"),
        ("欧阳^娜娜^^^^^L", "欧阳娜娜"),
        ("Smith^John", "Smith John"),
        ("ZHANG^WEI^^^^^A~张伟^^^^^^L", "张伟"),
        (r"O\S\Neil", "O^Neil"),
    ],
)
def test_pid5_name(pid5, name):
    assert parse_message(oru(obx(), pid=f"PID|1||MR1||{pid5}||19800101|M")).results[0].patient.name == name


@pytest.mark.parametrize(
    ("pid8", "sex"),
    [("M", "male"), ("F", "female"), ("O", "other"), ("U", "unknown"), ("", ""), ("Z", "unknown")],
)
def test_pid8_sex(pid8, sex):
    assert parse_message(oru(obx(), pid=f"PID|1||MR1||张伟||19800101|{pid8}")).results[0].patient.sex == sex


def test_pid7_bad_birth_date_is_reported_but_results_are_kept():
    result = parse_message(oru(obx(), pid="PID|1||MR1||张伟||1980|M"))
    assert [(p.field, p.value) for p in result.problems] == [("PID-7", "1980")]
    assert result.results[0].patient.birth_date is None


def test_pid_without_identifier_refuses_the_results():
    result = parse_message(oru(obx(), pid="PID|1||||张伟||19800101|M"))
    assert [(p.field, p.code) for p in result.problems] == [("PID-3", "missing")]
    assert result.results == []


def test_non_standard_delimiters_are_read_from_msh():
    text = "\r".join(
        [
            "MSH#*~!@#LIS#HOSP-A#CL#CL#20240315##ORU*R01#C1#P#2.5",
            "PID#1##MR1*!F!*HOSP-A##A!F!B",
            "OBR#1##FL1#L###20240315",
            "OBX#1#NM#TC*TC*L##5.8#mmol/L",
        ]
    )
    result = parse_message(text)
    assert result.problems == []
    assert result.results[0].patient.name == "A#B"
    assert result.results[0].patient.mrn_system == "HOSP-A"


def test_checkup_sample_has_every_result_with_units_ranges_and_flags():
    result = parse_file((SAMPLES / "oru_checkup_utf8.hl7").read_bytes())
    assert result.problems == []
    assert len(result.results) == 13
    [report] = result.reports
    assert (report.source_id, report.package, report.source_system) == (
        "FL2024031501",
        "入职体检套餐",
        "HOSP-A",
    )
    assert report.issued_at == datetime.datetime(2024, 3, 15, 10, tzinfo=SHANGHAI)  # OBR-22
    glucose = result.results[0]
    assert (glucose.code, glucose.value, glucose.unit, glucose.reference_range, glucose.abnormal_flag) == (
        "14749-6",
        "6.2",
        "mmol/L",
        "3.9-6.1",
        "H",
    )
    assert glucose.effective_at == datetime.datetime(2024, 3, 15, 8, 10, tzinfo=SHANGHAI)
    assert glucose.location == "message 1 / OBX 1"
    assert {r.source_system for r in result.results} == {"HOSP-A"}
    assert {r.report_source_id for r in result.results} == {"FL2024031501"}
    assert result.results[10].value == "<0.5"
    assert result.results[11].status == "corrected"
    assert result.results[12].value == "脂肪肝（轻度）\n建议6个月复查 & 控制体重"  # noqa: RUF001


def test_gb18030_sample_keeps_chinese_names_and_units():
    result = parse_file((SAMPLES / "oru_vitals_gb18030.hl7").read_bytes())
    assert result.problems == []
    assert [r.unit for r in result.results] == ["mm[Hg]", "mm[Hg]", "次/分", "斤", "厘米"]
    patient = result.results[0].patient
    assert (patient.name, patient.id_number, patient.mrn, patient.sex) == (
        "李秀英",
        "310104195806070048",
        "0001234",
        "female",
    )
    assert patient.birth_date == datetime.date(1958, 6, 7)
    assert result.results[0].source_system == "東城区社区卫生服务中心"
    assert result.results[0].effective_at == datetime.datetime(2024, 3, 20, 9, tzinfo=SHANGHAI)


def test_adt_sample_gives_admit_update_and_discharge_of_one_visit():
    result = parse_file((SAMPLES / "adt_admit_update_discharge.hl7").read_bytes())
    assert result.problems == []
    admit, update, discharge = result.encounters
    assert [e.event for e in result.encounters] == ["admit", "update", "discharge"]
    assert {e.source_id for e in result.encounters} == {"V20240401001"}
    assert {e.encounter_class for e in result.encounters} == {"inpatient"}
    assert admit.department == "心内科"
    assert admit.admitted_at == datetime.datetime(2024, 4, 1, 8, tzinfo=SHANGHAI)
    assert admit.discharged_at is None
    assert update.diagnoses == "I20.0 不稳定型心绞痛; I10 原发性高血压"
    assert discharge.discharged_at == datetime.datetime(2024, 4, 10, 10, tzinfo=SHANGHAI)
    assert discharge.procedures == "00.66 经皮冠状动脉腔内成形术; 88.56 冠状动脉造影"
    assert discharge.location == "message 3 / PV1 1"
    assert [p.event for p in result.people] == ["A01", "A08", "A03"]
    assert result.people[0].patient.id_number == "440305196002120039"


ADT = r"MSH|^~\&|HIS|HOSP-A|CL|CL|20240401083000||ADT^{event}|A1|P|2.5"


@pytest.mark.parametrize(
    ("pv1_2", "encounter_class"), [("I", "inpatient"), ("O", "outpatient"), ("E", "emergency")]
)
def test_pv1_2_patient_class(pv1_2, encounter_class):
    text = "\r".join([ADT.format(event="A08"), PID, f"PV1|1|{pv1_2}|内科" + "|" * 16 + "V1"])
    [encounter] = parse_message(text).encounters
    assert encounter.encounter_class == encounter_class


def test_unknown_patient_class_is_refused():
    text = "\r".join([ADT.format(event="A08"), PID, "PV1|1|Q|内科" + "|" * 16 + "V1"])
    result = parse_message(text)
    assert [(p.field, p.value, p.code) for p in result.problems] == [("PV1-2", "Q", "unknown_code")]
    assert result.encounters == []


def test_admit_without_pv1_44_uses_the_event_time():
    text = "\r".join(
        [ADT.format(event="A01"), "EVN|A01|20240401083000", PID, "PV1|1|I|内科" + "|" * 16 + "V1"]
    )
    [encounter] = parse_message(text).encounters
    assert encounter.admitted_at == datetime.datetime(2024, 4, 1, 8, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("segments", "fields"),
    [
        (["PV1|1|I|内科" + "|" * 16 + "V1"], ["PID"]),
        ([PID], ["PV1"]),
        ([PID, "PV1|1|I|内科"], ["PV1-19", "PV1-45"]),
        ([PID, "PV1|1|I|内科" + "|" * 16 + "V1"], ["PV1-45"]),  # a discharge needs its time
    ],
)
def test_adt_discharge_missing_parts_name_the_segment_and_field(segments, fields):
    result = parse_message("\r".join([ADT.format(event="A03"), *segments]))
    assert [p.field for p in result.problems] == fields
    assert result.encounters == []


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("broken_missing_pid.hl7", [("message 1", "PID", "missing")]),
        (
            "broken_obx_no_value.hl7",
            [("message 1 / OBX 2", "OBX-5", "missing"), ("message 1 / OBX 3", "OBX-3", "missing")],
        ),
        (
            "broken_bad_timestamp.hl7",
            [
                ("message 1 / PID 1", "PID-7", "invalid"),
                ("message 1 / OBX 1", "OBX-14", "invalid"),
                ("message 1 / OBX 2", "OBX-14", "invalid"),
            ],
        ),
        ("broken_unknown_type.hl7", [("message 1", "MSH-9", "unsupported")]),
    ],
)
def test_broken_samples_report_where_and_which_field(sample, expected):
    result = parse_file((SAMPLES / sample).read_bytes())
    assert [(p.location, p.field, p.code) for p in result.problems] == expected


def test_timestamp_reasons_are_whole_translatable_sentences():
    result = parse_file((SAMPLES / "broken_bad_timestamp.hl7").read_bytes())
    reasons = [
        (p.reason, getattr(p.reason, "template", ""), getattr(p.reason, "params", {}))
        for p in result.problems
    ]
    assert reasons == [
        (
            "PID-7 birth date is not a real date or time (month must be in 1..12)",
            "PID-7 birth date is not a real date or time (%(error)s)",
            {"error": "month must be in 1..12"},
        ),
        (
            "OBX-14 is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])",
            "%(field)s is not an HL7 timestamp (YYYYMMDDHHMMSS[+ZZZZ])",
            {"field": "OBX-14"},
        ),
        (
            "OBX-14 is not a real date or time (day is out of range for month)",
            "%(field)s is not a real date or time (%(error)s)",
            {"field": "OBX-14", "error": "day is out of range for month"},
        ),
    ]


def test_broken_sample_keeps_the_good_results():
    result = parse_file((SAMPLES / "broken_obx_no_value.hl7").read_bytes())
    assert [r.location for r in result.results] == ["message 1 / OBX 1", "message 1 / OBX 4"]


def test_second_message_of_a_file_is_located_as_message_2():
    data = (oru(obx()) + oru(obx(value=""))).encode()
    [problem] = parse_file(data).problems
    assert problem.location == "message 2 / OBX 1"


@pytest.mark.parametrize(
    ("text", "field", "code"),
    [
        ("PID|1||MR1\r", "MSH", "malformed"),
        ("MSH|^~\r", "MSH-2", "malformed"),
        ("MSH|^^^^|A\r", "MSH-2", "malformed"),
        (MSH.replace("2.5.1", "3.0") + "\r", "MSH-12", "unsupported"),
        (MSH.replace("ORU^R01", "ADT^A02") + "\r", "MSH-9", "unsupported"),
        (MSH.replace("ORU^R01", "ACK") + "\r", "MSH-9", "unsupported"),
    ],
)
def test_unreadable_or_unsupported_messages(text, field, code):
    [problem] = parse_message(text).problems
    assert (problem.location, problem.field, problem.code) == ("message 1", field, code)
