"""Tabs of the patient page for results; imported by ObservationsConfig.ready(), after the record tabs."""

from django.utils.translation import gettext_lazy as _

from careloop.accounts.roles import Perm
from careloop.observations.trend_views import trends_context
from careloop.patients.tabs import Tab, register

register(Tab("trends", _("Trends"), Perm.RECORD_VIEW, "observations/trends.html", trends_context))
