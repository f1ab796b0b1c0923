from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "careloop.followup"
    label = "followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        # The consent ledger is the patients app's; a withdrawal ends follow-up plans at once.
        from careloop.followup.signals import consent_recorded
        from careloop.patients.models import ConsentEvent

        post_save.connect(consent_recorded, sender=ConsentEvent, dispatch_uid="followup.consent_recorded")

        # Registered here, not imported by the patients app: followup already imports patients' models.
        from careloop.followup.enrolment_tab import FOLLOWUP_TAB
        from careloop.patients.patient_tabs import register

        register(FOLLOWUP_TAB)
