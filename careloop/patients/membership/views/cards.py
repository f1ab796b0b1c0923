from collections.abc import Callable

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients.cardnumbers import format_card_number
from careloop.patients.masking import mask_name
from careloop.patients.membership import actions
from careloop.patients.membership.forms import CardReasonForm, IssueCardForm, ReplaceCardForm
from careloop.patients.membership.views.panel import changed, refused
from careloop.patients.models import MembershipCard
from careloop.patients.scoping import patient_for_user


@login_required
@require_POST
def issue(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.CARD_MANAGE)
    form = IssueCardForm(request.POST)
    if form.is_valid():
        try:
            card = actions.do_issue_card(
                request.user, patient, form.cleaned_data["tier"], form.cleaned_data["note"]
            )
        except actions.Refused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            notice = _("Card %(number)s issued.") % {"number": format_card_number(card.number)}
            return changed(request, patient, "cards", notice)
    return refused(request, patient, "cards", issue_form=form)


CHANGES: dict[str, tuple[Callable[..., MembershipCard], type[forms.Form], str]] = {
    "freeze": (actions.do_freeze_card, CardReasonForm, "reason_form"),
    "unfreeze": (actions.do_unfreeze_card, CardReasonForm, "reason_form"),
    "lost": (actions.do_report_lost_and_replace, ReplaceCardForm, "replace_form"),
}


@login_required
@require_POST
def change(request: StaffRequest, patient_id: int, card_id: int, change: str) -> HttpResponse:
    if change not in CHANGES:
        raise Http404("No such change")
    patient = patient_for_user(request.user, patient_id, Perm.CARD_MANAGE)
    card = get_object_or_404(MembershipCard, patient=patient, pk=card_id)
    do_change, form_class, form_name = CHANGES[change]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = do_change(request.user, card, **form.cleaned_data)
        except actions.Refused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            notice = {
                "freeze": _("Card %(number)s is frozen."),
                "unfreeze": _("Card %(number)s is active again."),
                "lost": _("The lost card is blocked; new card %(number)s issued."),
            }[change] % {"number": format_card_number(result.number)}
            return changed(request, patient, "cards", notice)
    return refused(request, patient, "cards", **{form_name: form})


@login_required
def print_card(request: StaffRequest, patient_id: int, card_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.CARD_MANAGE)
    card = get_object_or_404(MembershipCard, patient=patient, pk=card_id, status="active")
    actions.record_card_print(request.user, card)
    # Only the card number goes into the code: a lost card's code then leads nowhere personal.
    # A viewBox (omitsize) lets CSS size the code in mm; the 4-module white quiet zone is what scanners need.
    code = segno.make(card.number, micro=False, error="m")
    qr = code.svg_inline(scale=4, border=4, omitsize=True, dark="#111827", light="#fff")
    context = {
        "card": card,
        "organization": patient.organization,
        "holder": mask_name(patient.name),
        "number": format_card_number(card.number),
        "qr_svg": qr,
    }
    return render(request, "patients/membership/card_print.html", context)
