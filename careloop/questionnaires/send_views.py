"""Staff pages that send questionnaire links: to one patient from the patient's page, or to everyone with
a tag; and a sent link's page, where staff copy it, show its QR code, or withdraw it.

Until the outreach channels send links by SMS and WeChat, staff copy a link into a message or let the
patient scan its code; the page shows the link again later (it is stored encrypted) for a patient who
lost it.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients.actions import record_view
from careloop.patients.models import Patient, Tag
from careloop.patients.scoping import patient_for_user, patients_for
from careloop.questionnaires.actions import current_version
from careloop.questionnaires.invitations import (
    MAX_PATIENTS_PER_SEND,
    do_send_links,
    do_withdraw_link,
    link_url,
)
from careloop.questionnaires.link_forms import SendLinkForm, SendToTagForm
from careloop.questionnaires.models import Questionnaire, QuestionnaireInvitation


def _offered(organization_id: int) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(
        organization_id=organization_id, status="active", versions__isnull=False
    ).distinct()


@login_required
def send_link(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    require(request.user, Perm.RECORD_EDIT_NURSING)
    offered = _offered(patient.organization_id)
    form = SendLinkForm(request.POST or None, questionnaires=offered)
    if request.method == "POST" and form.is_valid():
        version = current_version(form.cleaned_data["questionnaire"])
        assert version is not None  # `_offered` has only questionnaires with a version
        [sent] = do_send_links(request.user, [patient], version, form.cleaned_data["days"])
        messages.success(request, _("The link is ready: copy it to the patient, or let them scan the code."))
        return redirect("questionnaires:link", patient.pk, sent.invitation.pk)
    record_view(request.user, patient, "questionnaires.send_link")
    context = {"patient": patient, "form": form}
    return render(request, "questionnaires/send_link.html", context, status=400 if form.errors else 200)


@login_required
def link_detail(request: StaffRequest, patient_id: int, invitation_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    invitation = get_object_or_404(
        QuestionnaireInvitation.objects.select_related("version__questionnaire", "created_by", "answer"),
        pk=invitation_id,
        patient=patient,
        organization_id=patient.organization_id,
    )
    state = invitation.state(timezone.now())
    url = link_url(invitation.token, request) if state == "open" else ""
    qr = segno.make(url, error="m").svg_inline(scale=4, border=4, omitsize=True) if url else ""
    record_view(request.user, patient, "questionnaires.link")
    context = {"patient": patient, "invitation": invitation, "state": state, "url": url, "qr_svg": qr}
    return render(request, "questionnaires/link_detail.html", context)


@login_required
@require_POST
def withdraw_link(request: StaffRequest, patient_id: int, invitation_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    require(request.user, Perm.RECORD_EDIT_NURSING)
    invitation = get_object_or_404(
        QuestionnaireInvitation, pk=invitation_id, patient=patient, organization_id=patient.organization_id
    )
    do_withdraw_link(request.user, invitation)
    messages.success(request, _("The link was withdrawn: it now shows the patient that it was withdrawn."))
    return redirect("questionnaires:link", patient.pk, invitation.pk)


@login_required
def send_to_tag(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.PATIENT_VIEW)
    require(request.user, Perm.RECORD_EDIT_NURSING)
    organization_id = request.user.organization_id
    assert organization_id is not None  # patients_for gives nothing to a user without one
    tags = Tag.objects.filter(organization_id=organization_id).order_by("name")
    # From the patient list filtered by a tag (?tag=): that tag chosen already.
    initial = {"tag": request.GET["tag"]} if request.GET.get("tag", "").isdigit() else {}
    form = SendToTagForm(
        request.POST or None, initial=initial, questionnaires=_offered(organization_id), tags=tags
    )
    if request.method == "POST" and form.is_valid():
        patients: list[Patient] = list(
            patients_for(request.user)
            .filter(patient_tags__tag=form.cleaned_data["tag"])
            .order_by("name", "pk")
        )
        if not patients:
            form.add_error("tag", _("No patient has this tag."))
        elif len(patients) > MAX_PATIENTS_PER_SEND:
            form.add_error(
                "tag",
                _("%(count)s patients have this tag; links go to at most %(max)s at once.")
                % {"count": len(patients), "max": MAX_PATIENTS_PER_SEND},
            )
        else:
            version = current_version(form.cleaned_data["questionnaire"])
            assert version is not None
            sent = do_send_links(request.user, patients, version, form.cleaned_data["days"])
            rows = [(link.invitation, link_url(link.token, request)) for link in sent]
            context = {"form": form, "sent": rows, "version": version, "tag": form.cleaned_data["tag"]}
            return render(request, "questionnaires/send_to_tag_done.html", context)
    return render(
        request, "questionnaires/send_to_tag.html", {"form": form}, status=400 if form.errors else 200
    )
