"""The organization's follow-up protocols, under /organization/protocols/ (namespace `staff`): the list,
one protocol said in words with its sources, and the switch. An organization reads the sources before it
switches a protocol on: a schedule resting on a low-confidence source is one it must confirm first."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.models import Organization
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.accounts.staff_views import organization_id_of
from careloop.followup import wording
from careloop.followup.actions import (
    OPEN_STATUSES,
    EnrolmentRefused,
    do_install_shipped,
    do_set_protocol_status,
)
from careloop.followup.models import Enrolment, Protocol


@dataclass(frozen=True)
class ProtocolRow:
    protocol: Protocol
    trigger: str
    steps: int
    open_enrolments: int


def _latest_versions(org_id: int) -> list[Protocol]:
    """Each key's current (highest) version; ordering is key, then version descending."""
    latest: dict[str, Protocol] = {}
    for protocol in Protocol.objects.filter(organization_id=org_id):
        latest.setdefault(protocol.key, protocol)
    return list(latest.values())


def needs_confirming(protocol: Protocol) -> bool:
    """A source of its schedule is of low confidence: the organization confirms it before using it."""
    sources = protocol.definition.get("sources") or []
    return any(isinstance(s, dict) and s.get("confidence") == "low" for s in sources)


@login_required
def protocol_list(request: StaffRequest) -> HttpResponse:
    org_id = organization_id_of(request, Perm.PROTOCOL_MANAGE)
    open_by_key = dict(
        Enrolment.objects.filter(organization_id=org_id, status__in=OPEN_STATUSES)
        .values_list("protocol__key")
        .annotate(n=Count("pk"))
        .values_list("protocol__key", "n")
    )
    rows = [
        ProtocolRow(
            p, wording.trigger_words(p.parsed.trigger), len(p.parsed.steps), open_by_key.get(p.key, 0)
        )
        for p in _latest_versions(org_id)
    ]
    return render(request, "followup/protocols/list.html", {"rows": rows})


def _step_words(protocol: Protocol) -> list[dict[str, Any]]:
    language = "en" if (get_language() or "").startswith("en") else "zh"
    steps = []
    for n, step in enumerate(protocol.parsed.steps):
        text = step.content.text
        steps.append(
            {
                "step": step,
                "label": wording.step_label(protocol, step.key, 0),
                "offset": wording.offset_words(step.schedule.offset),
                "window": wording.window_words(step),
                "phases": [wording.phase_words(phase) for phase in step.schedule.phases],
                "channel": wording.channel_noun(step.channel),
                "script": text.get(language) or next(iter(text.values()), ""),
                "assignee": wording.assignee_words(step.assignee),
                "number": n + 1,
            }
        )
    return steps


@login_required
def protocol_detail(request: StaffRequest, protocol_id: int) -> HttpResponse:
    org_id = organization_id_of(request, Perm.PROTOCOL_MANAGE)
    protocol = get_object_or_404(Protocol, pk=protocol_id, organization_id=org_id)
    definition = protocol.parsed
    language = "en" if (get_language() or "").startswith("en") else "zh"
    description = protocol.definition.get("description") or {}
    later = Protocol.objects.filter(organization_id=org_id, key=protocol.key, version__gt=protocol.version)
    context = {
        "protocol": protocol,
        "description": description.get(language) or description.get("en") or "",
        "trigger": wording.trigger_words(definition.trigger),
        "anchor": wording.anchor_words(definition.anchor),
        "steps": _step_words(protocol),
        "stop_rules": [wording.stop_words(rule) for rule in definition.stop_rules],
        "ladder": [wording.rung_words(rung) for rung in definition.escalation],
        "adaptations": [wording.adaptation_words(adaptation) for adaptation in definition.adaptations],
        "sources": [s for s in protocol.definition.get("sources") or [] if isinstance(s, dict)],
        "needs_confirming": needs_confirming(protocol),
        "superseded": later.exists(),
        "open_enrolments": Enrolment.objects.filter(protocol=protocol, status__in=OPEN_STATUSES).count(),
    }
    return render(request, "followup/protocols/detail.html", context)


@login_required
@require_POST
def protocol_status(request: StaffRequest, protocol_id: int) -> HttpResponse:
    org_id = organization_id_of(request, Perm.PROTOCOL_MANAGE)
    protocol = get_object_or_404(Protocol, pk=protocol_id, organization_id=org_id)
    status = request.POST.get("status", "")
    if status not in ("draft", "active", "retired"):
        messages.error(request, _("Choose whether to switch the protocol on or off."))
        return redirect("staff:protocol", protocol.pk)
    try:
        do_set_protocol_status(request.user, protocol, status)
    except EnrolmentRefused:
        messages.error(request, _("A protocol without steps cannot be switched on: add its steps first."))
        return redirect("staff:protocol", protocol.pk)
    if status == "active":
        messages.success(
            request, _("Switched on: patients can be enrolled in %(name)s.") % {"name": protocol.name}
        )
    else:
        messages.success(request, _("Switched off: no one new is enrolled; open plans go on."))
    return redirect("staff:protocol", protocol.pk)


@login_required
@require_POST
def protocol_install(request: StaffRequest) -> HttpResponse:
    """Install the protocols CareLoop ships, or bring them up to date (each change is audited)."""
    org_id = organization_id_of(request, Perm.PROTOCOL_MANAGE)
    installed = do_install_shipped(Organization.objects.get(pk=org_id))
    messages.success(
        request, _("%(count)s protocols are installed and up to date.") % {"count": len(installed)}
    )
    return redirect("staff:protocols")
