from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "careloop.followup"
    label = "followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        # Registered here, not imported by the patients app: followup already imports patients' models.
        from careloop.followup.enrolment_tab import FOLLOWUP_TAB
        from careloop.patients.patient_tabs import register

        register(FOLLOWUP_TAB)
