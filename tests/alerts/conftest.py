import pytest

from careloop.alerts.actions import do_raise_alert
from careloop.questionnaires.actions import do_record_answer
from tests.questionnaires.test_answers import answers_scoring, phq9


@pytest.fixture
def cared_for(patient, doctor):
    """A patient whose responsible doctor is `doctor`: alerts about them go to that doctor."""
    patient.responsible_doctor = doctor
    patient.save(update_fields=["responsible_doctor"])
    return patient


@pytest.fixture
def record_phq9(org, nurse, cared_for):
    """Record a Chinese PHQ-9 for `cared_for` with these item scores (1 to 9), as the nurse."""
    version = phq9(org)

    def record(scores, patient=cared_for, user=nurse):
        return do_record_answer(user, patient, version, answers_scoring(version, scores))

    return record


@pytest.fixture
def raise_alert(org, cared_for):
    def raise_one(reason="r", severity="urgent", patient=cared_for, organization=org, **extra):
        alert, _created = do_raise_alert(
            organization_id=organization.pk,
            patient=patient,
            kind="questionnaire",
            severity=severity,
            title=f"警报 {reason}",
            source_type="test",
            source_id="1",
            reason=reason,
            **extra,
        )
        return alert

    return raise_one
