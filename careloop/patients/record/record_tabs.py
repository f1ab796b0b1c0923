"""The patient page's tabs of the health record: one per section, in the order the sections are
registered (registered by PatientsConfig.ready())."""

from careloop.accounts.roles import Perm
from careloop.patients.patient_tabs import Tab
from careloop.patients.record.sections import SECTIONS

RECORD_TABS = tuple(
    Tab(section.name, section.label, Perm.RECORD_VIEW, section.template, section.context)
    for section in SECTIONS.values()
)
