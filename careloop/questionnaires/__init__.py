"""Questionnaires as pure data: FHIR R4 definitions, enableWhen, answer checks and scoring.

The core modules import no Django (tests/questionnaires/test_pure_modules.py lists them); the Django app
around them (models, actions, forms, views, tab) stores questionnaires and answers.
Read a definition with `fhir_reading.parse_questionnaire`, write it with `fhir_writing.to_fhir`.
"""
