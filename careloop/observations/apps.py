from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservationsConfig(AppConfig):
    name = "careloop.observations"
    label = "observations"
    verbose_name = _("Results and observations")

    def ready(self) -> None:
        from careloop.observations import checks  # noqa: F401  (registers the MLLP system checks)
        from careloop.observations.trends.tab import TRENDS_TAB
        from careloop.patients.patient_tabs import register

        register(TRENDS_TAB)  # after the patients app's own tabs: INSTALLED_APPS lists patients first
