from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutotagsConfig(AppConfig):
    name = "careloop.autotags"
    label = "autotags"
    verbose_name = _("Automatic tags")
