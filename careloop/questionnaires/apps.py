from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionnairesConfig(AppConfig):
    name = "careloop.questionnaires"
    label = "questionnaires"
    verbose_name = _("Questionnaires")

    def ready(self) -> None:
        from careloop.patients.patient_tabs import register
        from careloop.questionnaires.tab import QUESTIONNAIRES_TAB

        register(QUESTIONNAIRES_TAB)
