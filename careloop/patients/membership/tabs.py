"""Tabs of the patient page for this area; imported by PatientsConfig.ready()."""
