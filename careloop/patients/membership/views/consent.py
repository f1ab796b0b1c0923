from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients.membership import actions
from careloop.patients.membership.forms import ConsentForm
from careloop.patients.membership.views.panel import changed, refused
from careloop.patients.scoping import patient_for_user


@login_required
@require_POST
def record(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.CONSENT_RECORD)
    form = ConsentForm(request.POST, patient=patient)
    if form.is_valid():
        try:
            event = actions.do_record_consent(request.user, patient, form.event())
        except actions.Refused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            template = (
                _("Consent to “%(purpose)s” recorded.")
                if event.granted
                else _("Consent to “%(purpose)s” withdrawn; it no longer applies from now on.")
            )
            return changed(request, patient, "consent", template % {"purpose": event.get_purpose_display()})
    return refused(request, patient, "consent", consent_form=form)
