"""What the patients app tells the apps above it, so that it need not know them."""

from django.dispatch import Signal

# Sent by actions.do_register_patient inside its transaction, once the patient is saved, with `user`,
# `patient` and `sent_by` (the id of the waiting record the registration was filled from, or None). A
# receiver brings in what was waiting for this person (results queued for an unknown
# patient) and answers how many items it filed.
patient_registered = Signal()
