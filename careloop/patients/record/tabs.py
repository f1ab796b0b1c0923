"""Tabs of the patient page for this area; imported by PatientsConfig.ready().

One tab per health-record section, in the order the sections are registered.
"""

from careloop.accounts.roles import Perm
from careloop.patients.record.sections import SECTIONS
from careloop.patients.tabs import Tab, register

for section in SECTIONS.values():
    register(Tab(section.name, section.label, Perm.RECORD_VIEW, section.template, section.context))
