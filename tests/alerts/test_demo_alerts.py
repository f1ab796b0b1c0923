import pytest

from careloop.alerts.models import Alert
from careloop.questionnaires.models import QuestionnaireAnswer
from tests.accounts.test_demo_command import demo


@pytest.mark.django_db
def test_the_demo_doctor_finds_the_alerts_the_nurses_phq9_answers_raised():
    demo()
    alerts = Alert.objects.filter(organization__code="demo", assigned_to__username="doctor", status="open")
    assert sorted(alerts.values_list("severity", flat=True)) == ["high", "urgent", "urgent"]
    for alert in alerts:
        answer = QuestionnaireAnswer.objects.get(pk=alert.source_id)
        assert alert.raised_at == answer.answered_at
