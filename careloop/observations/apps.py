from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservationsConfig(AppConfig):
    name = "careloop.observations"
    label = "observations"
    verbose_name = _("Results and observations")

    def ready(self) -> None:
        from careloop.observations import tabs  # noqa: F401 -- registers the Trends tab of the patient page
