"""FHIR Patient -> PersonRecord: when it was said, the mobile, the address and the contacts."""

import copy
import datetime
from zoneinfo import ZoneInfo

import pytest

from careloop.observations.importing.parsed import ContactRecord, ParseResult, PersonRecord
from careloop.observations.sources.fhir.mapper import ResourceMapper
from careloop.observations.sources.fhir.ndjson import parse_ndjson

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT_ID = "110105198003070020"  # valid GB 11643 check character


def patient(**changes):
    resource = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": RESIDENT_ID}],
        "name": [{"text": "张三"}],
    }
    resource.update(changes)
    return resource


def mapped(resource) -> ParseResult:
    out = ParseResult()
    ResourceMapper("HIS-A").add(copy.deepcopy(resource), "line 3", out)
    return out


def person_of(resource) -> PersonRecord:
    out = mapped(resource)
    assert out.problems == []
    [person] = out.people
    return person


def phone(value, use=None, system="phone"):
    point = {"system": system, "value": value}
    if use:
        point["use"] = use
    return point


def test_a_patient_is_a_person_named_by_its_source():
    person = person_of(patient(meta={"source": "http://his.example.cn#req-7"}))
    assert (person.event, person.source_system, person.source_id, person.location) == (
        "Patient",
        "http://his.example.cn",
        "p1",
        "line 3",
    )
    assert (person.patient.id_number, person.patient.name) == (RESIDENT_ID, "张三")
    assert (person.mobile, person.address, person.contacts) == ("", "", ())


def test_a_patient_without_an_id_is_a_person_without_a_source_id():
    assert person_of(patient(id=None)).source_id == ""


@pytest.mark.parametrize(
    ("last_updated", "expected"),
    [
        ("2025-03-05T08:30:00+08:00", datetime.datetime(2025, 3, 5, 8, 30, tzinfo=SHANGHAI)),
        ("2025-03-05T00:30:00Z", datetime.datetime(2025, 3, 5, 0, 30, tzinfo=datetime.UTC)),
        ("2025-03-05T08:30:00", datetime.datetime(2025, 3, 5, 8, 30, tzinfo=SHANGHAI)),  # default tz
        ("2025-03-05", datetime.datetime(2025, 3, 5, tzinfo=SHANGHAI)),
        (None, None),
    ],
)
def test_sent_at_is_meta_last_updated(last_updated, expected):
    meta = {} if last_updated is None else {"lastUpdated": last_updated}
    sent_at = person_of(patient(meta=meta)).sent_at
    assert sent_at == expected
    assert sent_at is None or sent_at.tzinfo is not None


@pytest.mark.parametrize("last_updated", ["2025-13-05T08:30:00+08:00", "yesterday", 20250305])
def test_an_unreadable_last_updated_refuses_the_patient(last_updated):
    out = mapped(patient(meta={"lastUpdated": last_updated}))
    assert [(p.location, p.field, p.value) for p in out.problems] == [
        ("line 3", "meta.lastUpdated", str(last_updated))
    ]
    assert out.people == []


def test_a_patient_without_identifiers_is_still_refused():
    out = mapped({"resourceType": "Patient", "telecom": [phone("13812345678")]})
    assert [p.field for p in out.problems] == ["identifier"] and out.people == []


# -- Mobile ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("telecom", "mobile"),
    [
        ([phone("13812345678")], "13812345678"),
        ([phone("+86 138-1234-5678", "mobile")], "13812345678"),
        ([phone("010-12345678", "home"), phone("13912345678", "home")], "13912345678"),
        ([phone("13812345678", "home"), phone("13987654321", "mobile")], "13987654321"),
        ([phone("13812345678", system="sms"), phone("13987654321")], "13987654321"),
        ([phone("13812345678", system="fax")], ""),
        ([phone("0755-12345678", "mobile")], ""),  # not a mainland mobile, whatever its use
        ([phone("12012345678", "mobile"), phone("13812345678", "home")], "13812345678"),
        ([phone("zhang@example.cn", system="email")], ""),
        ([{"system": "phone"}], ""),
        ([], ""),
    ],
)
def test_mobile_is_a_phone_of_use_mobile_else_the_first_mainland_mobile(telecom, mobile):
    assert person_of(patient(telecom=telecom)).mobile == mobile


# -- Address ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        ([{"text": "广东省深圳市南山区科技园路1号"}], "广东省深圳市南山区科技园路1号"),
        (
            [{"line": ["科技园路1号", "3栋201"], "district": "南山区", "city": "深圳市", "state": "广东省"}],
            "广东省深圳市南山区科技园路1号3栋201",
        ),
        (
            [{"line": ["广东省深圳市南山区科技园路1号"], "city": "深圳市", "state": "广东省"}],
            "广东省深圳市南山区科技园路1号",
        ),
        (
            [{"line": ["东四十条1号"], "district": "东城区", "city": "北京市", "state": "北京市"}],
            "北京市东城区东四十条1号",
        ),
        (
            [
                {"use": "work", "text": "上海市工作单位路9号"},
                {"use": "home", "city": "深圳市", "line": ["科技园路1号"]},
            ],
            "深圳市科技园路1号",
        ),
        (
            [
                {
                    "line": ["123 Main St", "Apt 4"],
                    "city": "Springfield",
                    "state": "IL",
                    "postalCode": "62701",
                    "country": "US",
                }
            ],
            "123 Main St, Apt 4, Springfield, IL 62701",
        ),
        ([{"country": "CN"}], ""),
        ([], ""),
    ],
)
def test_address_is_its_text_else_its_parts_big_to_small_for_chinese(addresses, expected):
    assert person_of(patient(address=addresses)).address == expected


@pytest.mark.parametrize("address", [{"text": "长" * 300}, {"line": ["长" * 300], "city": "深圳市"}])
def test_an_address_is_cut_at_200_characters(address):
    text = person_of(patient(address=[address])).address
    assert len(text) == 200 and set(text) <= set("深圳市长")


# -- Contacts --------------------------------------------------------------------------------------------
def contact(code=None, name=None, telecom=None, system="http://terminology.hl7.org/CodeSystem/v3-RoleCode"):
    one = {"name": name or {"text": "李娜"}}
    if code is not None:
        one["relationship"] = [{"coding": [{"system": system, "code": code}]}]
    if telecom is not None:
        one["telecom"] = telecom
    return one


@pytest.mark.parametrize(
    ("code", "relationship"),
    [
        ("SPS", "spouse"),
        ("HUSB", "spouse"),
        ("WIFE", "spouse"),
        ("DOMPART", "spouse"),
        ("FTH", "father"),
        ("NFTH", "father"),
        ("MTH", "mother"),
        ("NMTH", "mother"),
        ("SON", "son"),
        ("SONC", "son"),
        ("DAU", "daughter"),
        ("DAUC", "daughter"),
        ("SIB", "sibling"),
        ("BRO", "sibling"),
        ("SIS", "sibling"),
        ("NSIB", "sibling"),
        ("GRPRN", "grandparent"),
        ("GRFTH", "grandparent"),
        ("GRMTH", "grandparent"),
        ("GRNDCHILD", "grandchild"),
        ("GRNDSON", "grandchild"),
        ("GRNDDAU", "grandchild"),
        ("GUARD", "guardian"),
        ("SPO", "spouse"),  # HL7 v2 table 0063, as some servers send
        ("CGV", "caregiver"),
        ("GRD", "guardian"),
        ("FRND", "other"),
        ("C", "other"),  # v2-0131 emergency contact: a role, not a relationship
        (None, "other"),
    ],
)
def test_contact_relationship_maps_role_codes_to_ours(code, relationship):
    [one] = person_of(patient(contact=[contact(code)])).contacts
    assert one.relationship == relationship


def test_the_first_known_code_of_any_relationship_is_used():
    relationships = [
        {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N"}]},
        {"coding": [{"code": "X"}, {"code": "MTH"}]},
    ]
    [one] = person_of(patient(contact=[{"name": {"text": "王芳"}, "relationship": relationships}])).contacts
    assert one == ContactRecord("王芳", "mother")


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        ([contact("SPS")], [ContactRecord("李娜", "spouse")]),
        ([contact("SON", name={"family": "张", "given": ["强"]})], [ContactRecord("张强", "son")]),
        ([contact("SON", name={"family": "Smith", "given": ["John"]})], [ContactRecord("John Smith", "son")]),
        (
            [contact("SPS", telecom=[phone("010-12345678"), phone("13912345678", "mobile")])],
            [ContactRecord("李娜", "spouse", "13912345678")],
        ),
        (
            [{"relationship": [{"coding": [{"code": "SPS"}]}]}, contact("DAU")],
            [ContactRecord("李娜", "daughter")],
        ),
        ([contact("SPS", name={"text": ""})], []),
        (
            [contact("SPS"), contact("DAU", name={"text": "张丽"})],
            [ContactRecord("李娜", "spouse"), ContactRecord("张丽", "daughter")],
        ),
    ],
)
def test_every_named_contact_is_kept(contacts, expected):
    assert list(person_of(patient(contact=contacts)).contacts) == expected


def test_ndjson_gives_one_person_per_patient_line():
    lines = b'{"resourceType": "Patient", "id": "p1"}\n{"resourceType": "Patient", "id": "p2"}\n'
    out = parse_ndjson(lines, "HIS-A")
    assert [(p.source_id, p.location) for p in out.people] == [("p1", "line 1"), ("p2", "line 2")]
