"""Questionnaires as pure data: FHIR R4 definitions, enableWhen, answer checks and scoring.

No module here imports Django; the app that stores questionnaires and responses is built around it.
Read a definition with `fhir_reading.parse_questionnaire`, write it with `fhir_writing.to_fhir`.
"""
