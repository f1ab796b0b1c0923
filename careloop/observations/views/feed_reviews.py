"""What hospital feeds may do to the registry (the feed policy), and the feed changes held for review."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.observations import feeds
from careloop.observations.models import FeedPolicy, FeedReview
from careloop.observations.views.organization import user_organization_id
from careloop.patients import actions as patient_actions
from careloop.patients.feedupdate import FIELDS
from careloop.patients.models import Patient

FIELD_LABELS = {name: getattr(Patient._meta.get_field(name), "verbose_name", name) for name in FIELDS}


class FeedPolicyForm(forms.ModelForm[FeedPolicy]):
    class Meta:
        model = FeedPolicy
        fields = ["unknown_patients"]
        widgets = {"unknown_patients": forms.RadioSelect}
        help_texts = {
            "unknown_patients": gettext_lazy(
                "A patient an admission (ADT) or a FHIR Patient names whom no ID number or MRN finds. "
                "Someone "
                "who is probably a patient registered already always waits for review."
            )
        }


@login_required
def feed_policy(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.FEED_POLICY_SET)
    organization_id = user_organization_id(request.user)
    stored = FeedPolicy.objects.filter(organization_id=organization_id).first()
    form = FeedPolicyForm(
        request.POST or None, instance=stored or FeedPolicy(organization_id=organization_id)
    )
    if request.method == "POST" and form.is_valid():
        feeds.do_set_feed_policy(request.user, organization_id, form.cleaned_data["unknown_patients"])
        messages.success(request, _("Saved. It applies to the messages received from now on."))
        return redirect("observations:feed_policy")
    return render(request, "observations/feed_policy.html", {"form": form})


@login_required
def review_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.PATIENT_EDIT)
    organization_id = user_organization_id(request.user)
    waiting = FeedReview.objects.filter(organization_id=organization_id, resolved_at__isnull=True)
    page = Paginator(waiting.select_related("patient"), 30).get_page(request.GET.get("page"))
    rows = []
    for review in page:
        sent = feeds.sent_values(review)
        changes = [
            (
                FIELD_LABELS.get(name, name),
                feeds.shown_value(name, getattr(review.patient, name, "")),
                feeds.shown_value(name, sent.get(name)),
            )
            for name in review.fields
        ]
        rows.append((review, changes))
    patient_actions.record_list(request.user, [r.patient_id for r in page], "feed_reviews", [])
    return render(request, "observations/feed_reviews.html", {"page": page, "rows": rows})


@login_required
@require_POST
def review_decide(request: StaffRequest, review_id: int) -> HttpResponseBase:
    require(request.user, Perm.PATIENT_EDIT)
    review = get_object_or_404(
        FeedReview, organization_id=user_organization_id(request.user), resolved_at__isnull=True, pk=review_id
    )
    apply = request.POST.get("decision") == "apply"
    feeds.do_decide_feed_review(request.user, review, apply)
    if apply:
        messages.success(request, _("The feed's values were saved on the patient's record."))
    else:
        messages.success(request, _("The values on the patient's record were kept."))
    return redirect("observations:feed_reviews")
