from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "careloop.patients"
    label = "patients"
    verbose_name = _("Patients and health records")

    def ready(self) -> None:
        from careloop.accounts.audit_patients import provide
        from careloop.patients.audit_patients import AUDIT_PATIENTS
        from careloop.patients.membership.membership_tabs import MEMBERSHIP_TABS
        from careloop.patients.patient_tabs import SUMMARY_TAB, register
        from careloop.patients.record.record_tabs import RECORD_TABS

        # The patient page shows its tabs in the order registered: profile, record sections, membership.
        for tab in (SUMMARY_TAB, *RECORD_TABS, *MEMBERSHIP_TABS):
            register(tab)
        provide(AUDIT_PATIENTS)  # the audit page names and searches patients through it
