from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "careloop.patients"
    label = "patients"
    verbose_name = _("Patients and health records")

    def ready(self) -> None:
        # Tab order on the patient page follows import order: record sections, then membership.
        from careloop.patients.record import tabs as record_tabs  # noqa: F401, I001
        from careloop.patients.membership import tabs as membership_tabs  # noqa: F401
