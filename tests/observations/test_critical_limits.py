"""An organization's own critical values: the page, setting them row by row, and the imports they judge.

The limits here are a test hospital's choices, not clinical advice.
"""

import orjson
import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.observations.actions import do_set_critical_limits
from careloop.observations.criticals import critical_limits_for
from careloop.observations.importing import pipeline
from careloop.observations.importing.chunk import import_chunk
from careloop.observations.models import CriticalLimit, ImportBatch, Observation
from careloop.observations.sources.fhir import iter_ndjson, parse_ndjson
from tests.factories import make_patient, make_user
from tests.observations.helpers import indicator

POTASSIUM = "2823-3"  # mmol/L; the catalogue has no critical limits for it


def potassium_line(number: int, value: float) -> bytes:
    return orjson.dumps(
        {
            "resourceType": "Observation",
            "id": f"k{number}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": POTASSIUM}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": f"2025-03-0{number}T08:30:00+08:00",
            "valueQuantity": {"value": value, "unit": "mmol/L", "code": "mmol/L"},
        }
    )


def patient_line(id_number: str) -> bytes:
    return orjson.dumps(
        {
            "resourceType": "Patient",
            "id": "p1",
            "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": id_number}],
        }
    )


def import_potassium(organization, id_number: str, values: list[float]) -> dict[str, str]:
    lines = [patient_line(id_number)] + [potassium_line(n, v) for n, v in enumerate(values, 1)]
    batch = ImportBatch.objects.create(organization=organization, kind="fhir", filename="k.ndjson")
    batch, problems = pipeline.run_import(batch, iter_ndjson(b"\n".join(lines), "LIS"))
    assert problems == []
    return dict(Observation.objects.filter(organization=organization).values_list("value_reported", "flag"))


@pytest.mark.django_db
def test_an_import_flags_by_the_organizations_own_limits_and_no_other_organizations(
    org, other_org, doctor, admin_user
):
    do_set_critical_limits(admin_user, org.pk, indicator(POTASSIUM), 2.8, 6.2)
    ours = import_potassium(org, make_patient(doctor).id_number, [7.0, 5.8, 2.5])
    assert ours == {"7.0": "critical_high", "5.8": "high", "2.5": "critical_low"}
    theirs = import_potassium(other_org, make_patient(make_user(other_org, "doctor")).id_number, [7.0, 2.5])
    assert theirs == {"7.0": "high", "2.5": "low"}


@pytest.mark.django_db
def test_a_side_left_blank_keeps_the_catalogues_limit(org, admin_user):
    glucose = indicator("1558-6")
    assert glucose.critical_low is not None
    do_set_critical_limits(admin_user, org.pk, glucose, None, 22.2)
    assert critical_limits_for(org.pk) == {"1558-6": (glucose.critical_low, 22.2)}
    do_set_critical_limits(admin_user, org.pk, glucose, None, None)  # back to the catalogue's
    assert critical_limits_for(org.pk) == {}
    assert not CriticalLimit.objects.exists()


@pytest.mark.django_db
def test_the_page_lists_numeric_indicators_with_the_catalogues_limits(logged_in, doctor):
    response = logged_in(doctor).get(reverse("observations:critical_limits"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="limit-1558-6"' in page and f'id="limit-{POTASSIUM}"' in page
    assert "&lt; 3" in page  # glucose's catalogue limit (CDS 2020)
    assert 'name="low"' not in page  # a doctor reads the list; the medical office sets it
    assert 'id="limit-5803-2"' in page  # urine pH is a number; dipstick protein (1+, 2+...) is not
    assert 'id="limit-20454-5"' not in page


@pytest.mark.django_db
def test_an_admin_sets_limits_and_the_row_comes_back_saved_with_an_audit_entry(logged_in, admin_user):
    client = logged_in(admin_user)
    url = reverse("observations:critical_limit", args=[POTASSIUM])
    response = client.post(url, {"low": "2.8", "high": "6.2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="limit-{POTASSIUM}" class="own">') and "&gt; 6.2" in row
    assert CriticalLimit.objects.get(code=POTASSIUM).high == 6.2
    entry = AuditEntry.objects.get(action="critical_limits.set")
    assert entry.detail == {"code": POTASSIUM, "before": None, "after": [2.8, 6.2]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("low", "high", "reason"),
    [
        ("6.2", "2.8", "below the high one"),
        ("", "20", "between 0.5 and 15"),
        ("abc", "", "number"),
    ],
)
def test_limits_that_cannot_work_are_refused_with_the_reason_and_nothing_changes(
    logged_in, admin_user, low, high, reason
):
    client = logged_in(admin_user)
    url = reverse("observations:critical_limit", args=[POTASSIUM])
    response = client.post(url, {"low": low, "high": high}, HTTP_ACCEPT_LANGUAGE="en")
    row = response.content.decode()
    assert reason in row
    assert f'value="{low}"' in row  # what was typed stays, to be corrected
    assert not CriticalLimit.objects.exists()


@pytest.mark.django_db
def test_only_those_allowed_set_limits_and_only_for_numeric_indicators(logged_in, doctor, admin_user):
    url = reverse("observations:critical_limit", args=[POTASSIUM])
    assert logged_in(doctor).post(url, {"high": "6.2"}).status_code == 403
    admin = logged_in(admin_user)
    assert admin.post(reverse("observations:critical_limit", args=["20454-5"]), {}).status_code == 404
    assert admin.post(reverse("observations:critical_limit", args=["0000-0"]), {}).status_code == 404
    assert admin.get(url).status_code == 405


@pytest.mark.django_db
def test_a_single_message_is_judged_by_the_organizations_limits_too(org, doctor, admin_user):
    """An MLLP message or a result matched by hand goes through import_chunk, not run_import."""
    do_set_critical_limits(admin_user, org.pk, indicator(POTASSIUM), None, 6.2)
    patient = make_patient(doctor)
    parsed = parse_ndjson(b"\n".join([patient_line(patient.id_number), potassium_line(1, 6.5)]), "LIS")
    batch = ImportBatch.objects.create(organization=org, kind="hl7v2", filename="mllp")
    counts, problems, _parked = import_chunk(batch, parsed)
    assert (counts.created, problems) == (1, [])
    assert Observation.objects.get(patient=patient).flag == "critical_high"
