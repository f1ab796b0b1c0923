from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """`careloop demo`: above every app it seeds (accounts, patients, observations), so none of them
    imports it."""

    name = "careloop.demo"
    label = "demo"
    verbose_name = _("Demo")
