"""HL7 v2 ADT -> PersonRecord (PID, NK1): which triggers say who the patient is, and what they say."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from careloop.observations.importing.parsed import ContactRecord, ParseResult
from careloop.observations.sources.hl7v2.messages import parse_message

SHANGHAI = ZoneInfo("Asia/Shanghai")
MSH = r"MSH|^~\&|HIS|HOSP-A|CL|CL|{sent}||ADT^{trigger}|CTRL-{trigger}|P|2.5"
EVN = "EVN|{trigger}|20240401083000"


def pid(address: str = "", home: str = "", business: str = "", identifier: str = "MR1^^^HOSP-A^MR") -> str:
    return f"PID|1||{identifier}||张伟||19800101|M|||{address}||{home}|{business}"


def pv1(patient_class: str = "I", visit: str = "V1") -> str:
    return f"PV1|1|{patient_class}|内科" + "|" * 16 + visit


def nk1(
    name: str = "李娜", relationship: str = "SPO^配偶^HL70063", home: str = "", business: str = ""
) -> str:
    return f"NK1|1|{name}|{relationship}||{home}|{business}"


def adt(trigger: str, *segments: str, sent: str = "20240401090000") -> ParseResult:
    return parse_message("\r".join([MSH.format(sent=sent, trigger=trigger), *segments]) + "\r")


def outcome(result: ParseResult) -> tuple[list[str], list[str], list[str]]:
    """(the people's events, the encounters' events, the problems' fields)."""
    return (
        [person.event for person in result.people],
        [encounter.event for encounter in result.encounters],
        [problem.field for problem in result.problems],
    )


# -- Which trigger gives what ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("trigger", "segments", "expected"),
    [
        ("A01", [EVN, pid(), pv1()], (["A01"], ["admit"], [])),
        ("A03", [EVN, pid(), pv1()], (["A03"], ["discharge"], [])),
        ("A04", [EVN, pid(), pv1("O")], (["A04"], ["admit"], [])),
        ("A05", [EVN, pid(), pv1()], (["A05"], [], [])),
        ("A08", [EVN, pid(), pv1()], (["A08"], ["update"], [])),
        ("A28", [EVN, pid()], (["A28"], [], [])),
        ("A31", [EVN, pid()], (["A31"], [], [])),
        ("A31", [EVN, pid(), pv1()], (["A31"], [], [])),
        # An A08 without a visit only updates the person.
        ("A08", [EVN, pid()], (["A08"], [], [])),
        ("A08", [EVN, pid(), pv1(visit="")], (["A08"], [], [])),
        # A visit event without its visit is still the person's news.
        ("A01", [EVN, pid()], (["A01"], [], ["PV1"])),
        ("A03", [EVN, pid()], (["A03"], [], ["PV1"])),
        ("A04", [EVN, pid(), pv1("O", visit="")], (["A04"], [], ["PV1-19"])),
        ("A01", [EVN, pid(), pv1("Q")], (["A01"], [], ["PV1-2"])),
        # No patient: nothing.
        ("A28", [EVN], ([], [], ["PID"])),
        ("A01", [EVN, pv1()], ([], [], ["PID"])),
        ("A31", [EVN, pid(identifier="")], ([], [], ["PID-3"])),
        ("A02", [EVN, pid(), pv1()], ([], [], ["MSH-9"])),
    ],
)
def test_each_adt_trigger_gives_a_person_and_its_visit_events_an_encounter(trigger, segments, expected):
    segments = [segment.format(trigger=trigger) for segment in segments]
    assert outcome(adt(trigger, *segments)) == expected


def test_an_a08_without_pv1_gives_only_the_person_and_no_problem():
    result = adt("A08", "EVN|A08|20240402093000", pid(home="13812345678"))
    assert result.problems == [] and result.encounters == [] and result.results == []
    [person] = result.people
    assert (person.event, person.mobile, person.patient.mrn) == ("A08", "13812345678", "MR1")


def test_the_person_names_the_message_it_came_in():
    [person] = adt("A31", pid()).people
    assert (person.source_system, person.source_id, person.location) == (
        "HOSP-A",
        "CTRL-A31",
        "message 1 / PID 1",
    )
    assert (person.patient.name, person.patient.birth_date) == ("张伟", datetime.date(1980, 1, 1))


def test_an_oru_gives_results_and_no_person():
    oru = r"MSH|^~\&|LIS|HOSP-A|CL|CL|20240315103000||ORU^R01|C1|P|2.5.1"
    obx = "OBX|1|NM|TC^总胆固醇^L||5.8|mmol/L|||||F|||20240315080000"
    result = parse_message("\r".join([oru, pid(), "OBR|1|PL1|FL1|LIPID^血脂^L", obx]))
    assert len(result.results) == 1 and result.people == []


# -- When it was said ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("evn", "sent", "expected", "problems"),
    [
        (
            "EVN|A31|20240401083000",
            "20240401090000",
            datetime.datetime(2024, 4, 1, 8, 30, tzinfo=SHANGHAI),
            [],
        ),
        ("", "20240401090000", datetime.datetime(2024, 4, 1, 9, tzinfo=SHANGHAI), []),
        ("EVN|A31", "20240401090000", datetime.datetime(2024, 4, 1, 9, tzinfo=SHANGHAI), []),
        (
            "EVN|A31|20240401083000+0000",
            "20240401090000",
            datetime.datetime(2024, 4, 1, 8, 30, tzinfo=datetime.UTC),
            [],
        ),
        ("EVN|A31|20241301", "20240401090000", datetime.datetime(2024, 4, 1, 9, tzinfo=SHANGHAI), ["EVN-2"]),
        ("", "2024-04-01", None, ["MSH-7"]),
        ("", "", None, []),
    ],
)
def test_sent_at_is_evn_2_else_msh_7(evn, sent, expected, problems):
    result = adt("A31", *[s for s in (evn, pid()) if s], sent=sent)
    [person] = result.people
    assert person.sent_at == expected
    assert [p.field for p in result.problems] == problems


def test_an_unreadable_evn_2_refuses_only_a_visit_that_needed_it():
    occurred = adt("A01", "EVN|A01|2024xx||||20240401080000", pid(), pv1())
    assert outcome(occurred) == (["A01"], ["admit"], ["EVN-2"])
    assert occurred.encounters[0].admitted_at == datetime.datetime(2024, 4, 1, 8, tzinfo=SHANGHAI)
    assert outcome(adt("A01", "EVN|A01|2024xx", pid(), pv1())) == (["A01"], [], ["EVN-2"])


def test_a_discharge_without_pv1_45_is_at_evn_2():
    [encounter] = adt("A03", "EVN|A03|20240410100000", pid(), pv1()).encounters
    assert encounter.discharged_at == datetime.datetime(2024, 4, 10, 10, tzinfo=SHANGHAI)


# -- Mobile ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("home", "business", "mobile"),
    [
        ("13812345678", "", "13812345678"),  # XTN-1, before v2.5
        ("^PRN^CP^^^^^^^^^13812345678", "", "13812345678"),  # XTN-12, unformatted
        ("^PRN^CP^^^^13812345678", "", "13812345678"),  # XTN-7, local number
        ("^PRN^CP^^86^138^12345678", "", "13812345678"),  # XTN-6 area code and XTN-7
        ("+86 138-1234-5678^PRN^CP", "", "13812345678"),  # normalized
        ("008613812345678", "", "13812345678"),
        ("010-12345678~13912345678", "", "13912345678"),  # the first repetition that is a mobile
        ("13812345678^PRN^PH~13987654321^ORN^CP", "", "13987654321"),  # a cellular phone first
        ("^PRN^PH^^^010^12345678", "13812345678^WPN^CP", "13812345678"),  # then PID-14
        ("13812345678^PRN^PH", "13987654321^WPN^CP", "13987654321"),  # CP in PID-14 wins over PH in 13
        ("^PRN^PH^^^0755^12345678", "", ""),  # a landline
        ("^NET^Internet^zhang@example.cn", "", ""),
        ("1381234567", "", ""),  # ten digits
        ("12345678901~13812345678", "", "13812345678"),  # 12...: not a mobile prefix
        ("", "", ""),
    ],
)
def test_mobile_is_the_first_mainland_mobile_of_pid_13_then_pid_14(home, business, mobile):
    [person] = adt("A31", pid(home=home, business=business)).people
    assert person.mobile == mobile


# -- Address ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("xad", "expected"),
    [
        ("科技园路1号^^深圳市^广东省^518057^CHN^H^^南山区", "广东省深圳市南山区科技园路1号"),
        ("科技园路1号^3栋201^深圳市^广东省^^CHN", "广东省深圳市科技园路1号3栋201"),
        ("广东省深圳市南山区科技园路1号^^深圳市^广东省^^^H^^南山区", "广东省深圳市南山区科技园路1号"),
        ("东四十条1号^^北京市^北京市^^^^^东城区", "北京市东城区东四十条1号"),  # a municipality
        ("工作单位路9号^^上海市^上海市^^^B~科技园路1号^^深圳市^广东省^^^H", "广东省深圳市科技园路1号"),
        ("123 Main St^Apt 4^Springfield^IL^62701^USA^H", "123 Main St, Apt 4, Springfield, IL 62701"),
        ("1 Queen's Rd^^Hong Kong", "1 Queen's Rd, Hong Kong"),
        ("^^^^^CHN", ""),
        ("", ""),
    ],
)
def test_pid_11_is_one_line_big_to_small_for_chinese_addresses(xad, expected):
    [person] = adt("A31", pid(address=xad)).people
    assert person.address == expected


def test_an_address_is_cut_at_200_characters():
    [person] = adt("A31", pid(address="长" * 300 + "^^深圳市^广东省")).people
    assert person.address == ("广东省深圳市" + "长" * 300)[:200]


# -- Next of kin -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "relationship"),
    [
        ("SPO^配偶^HL70063", "spouse"),
        ("HUS", "spouse"),
        ("WIF", "spouse"),
        ("DOM", "spouse"),
        ("FTH^父亲", "father"),
        ("MTH", "mother"),
        ("SON", "son"),
        ("DAU", "daughter"),
        ("BRO", "sibling"),
        ("SIS", "sibling"),
        ("SIB", "sibling"),
        ("GRP", "grandparent"),
        ("GCH", "grandchild"),
        ("GRD", "guardian"),
        ("CGV", "caregiver"),
        ("spo", "spouse"),
        ("FND^朋友", "other"),
        ("EMC", "other"),
        ("^女儿", "other"),
        ("", "other"),
    ],
)
def test_nk1_3_relationship_maps_table_0063_to_ours(code, relationship):
    [person] = adt("A31", pid(), nk1(relationship=code)).people
    assert [c.relationship for c in person.contacts] == [relationship]


@pytest.mark.parametrize(
    ("segments", "contacts"),
    [
        ([nk1()], [ContactRecord("李娜", "spouse")]),
        ([nk1(name="李^娜")], [ContactRecord("李娜", "spouse")]),
        ([nk1(name="Smith^Jane")], [ContactRecord("Smith Jane", "spouse")]),
        ([nk1(name="小李~李^娜^^^^^L")], [ContactRecord("李娜", "spouse")]),  # the legal name
        ([nk1(home="13812345678")], [ContactRecord("李娜", "spouse", "13812345678")]),
        (
            [nk1(home="010-12345678", business="^WPN^CP^^^^13912345678")],
            [ContactRecord("李娜", "spouse", "13912345678")],
        ),
        ([nk1(name=""), nk1(name="张强", relationship="SON")], [ContactRecord("张强", "son")]),
        (
            [nk1(), nk1(name="张强", relationship="SON")],
            [ContactRecord("李娜", "spouse"), ContactRecord("张强", "son")],
        ),
        ([], []),
    ],
)
def test_every_named_nk1_is_a_contact(segments, contacts):
    [person] = adt("A01", "EVN|A01|20240401083000", pid(), *segments, pv1()).people
    assert list(person.contacts) == contacts


# -- ADT^A40: which record merges into which ----------------------------------------------------------------
def a40(*segments: str) -> ParseResult:
    head = r"MSH|^~\&|HIS|HOSP-A|CL|CL|20240401090000||ADT^A40^ADT_A39|CTRL-A40|P|2.5"
    return parse_message("\r".join([head, "EVN|A40|20240401083000", *segments]) + "\r")


def test_an_a40_names_the_record_that_stays_and_the_one_merged_into_it():
    result = a40(pid(identifier="MR1^^^HOSP-A^MR~11010519491231002X^^^^ID"), "MRG|MR0^^^HOSP-A^MR||||||张伟")
    [merge] = result.merges
    assert (merge.survivor.mrn, merge.survivor.id_number) == ("MR1", "11010519491231002X")
    assert (merge.merged.mrn, merge.merged.mrn_system, merge.merged.name) == ("MR0", "HOSP-A", "张伟")
    assert (merge.source_id, merge.sent_at) == (
        "CTRL-A40",
        datetime.datetime(2024, 4, 1, 8, 30, tzinfo=SHANGHAI),
    )
    assert result.problems == [] and result.people == []


@pytest.mark.parametrize(
    ("segments", "field"),
    [
        ([pid(), "MRG|"], "MRG-1"),  # nothing to merge
        (["MRG|MR0^^^HOSP-A^MR"], "MRG"),  # no record that stays
        ([pid()], "MRG"),  # no MRG at all
    ],
)
def test_an_a40_without_both_records_is_refused_saying_which(segments, field):
    result = a40(*segments)
    assert result.merges == []
    assert [problem.field for problem in result.problems] == [field]


def test_an_a40_merges_each_pid_with_the_mrg_after_it():
    result = a40(pid(identifier="MR1^^^HOSP-A^MR"), "MRG|MR0^^^HOSP-A^MR", pid(identifier="MR3^^^HOSP-A^MR"),
                 "MRG|MR2^^^HOSP-A^MR")  # fmt: skip
    assert [(m.survivor.mrn, m.merged.mrn) for m in result.merges] == [("MR1", "MR0"), ("MR3", "MR2")]
