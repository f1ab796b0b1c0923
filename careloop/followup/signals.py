"""What the follow-up app does when other apps record something (connected in apps.py)."""

from typing import Any

from careloop.followup.stopping import end_plans_on_withdrawal
from careloop.patients.models import ConsentEvent


def consent_recorded(
    sender: type[ConsentEvent], instance: ConsentEvent, created: bool, **kwargs: Any
) -> None:
    if created and instance.purpose == "care" and not instance.granted:
        # Only when it is now the patient's newest word on care (a backdated withdrawal followed by a
        # later grant changes nothing).
        later = ConsentEvent.objects.filter(
            patient_id=instance.patient_id, purpose="care", granted=True, at__gt=instance.at
        )
        if not later.exists():
            end_plans_on_withdrawal(instance.patient_id)
