from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservationsConfig(AppConfig):
    name = "careloop.observations"
    label = "observations"
    verbose_name = _("Results and observations")

    def ready(self) -> None:
        # Imported for what they register: the MLLP system checks, the Trends tab of the patient page.
        from careloop.observations import checks, tabs  # noqa: F401
