from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from careloop.patients.signals import patient_registered

if TYPE_CHECKING:
    from careloop.accounts.models import User
    from careloop.patients.models import Patient


class ObservationsConfig(AppConfig):
    name = "careloop.observations"
    label = "observations"
    verbose_name = _("Results and observations")

    def ready(self) -> None:
        from careloop.observations import checks  # noqa: F401  (registers the MLLP system checks)
        from careloop.observations.trends.tab import TRENDS_TAB
        from careloop.patients.patient_tabs import register

        register(TRENDS_TAB)  # after the patients app's own tabs: INSTALLED_APPS lists patients first
        patient_registered.connect(file_waiting_results, dispatch_uid="observations.file_waiting_results")


def file_waiting_results(
    sender: object, user: "User", patient: "Patient", sent_by: int | None = None, **kwargs: object
) -> int:
    """A patient registered: the results queued for them are filed (do_file_waiting_for)."""
    from careloop.observations.actions import do_file_waiting_for

    return do_file_waiting_for(user, patient, sent_by)
