"""The organization's tag rules, under /organization/tag-rules/ (namespace `staff`): the list, the editor
with its "try it" (how many patients the rule matches now, and ten of them), and the switch."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts import audit
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.accounts.staff_views import organization_id_of
from careloop.autotags import actions
from careloop.autotags.apply import matched_facts, tagged_population
from careloop.autotags.forms import TagRuleForm
from careloop.autotags.models import TagRule
from careloop.autotags.pointer import Pointer, pointer
from careloop.facts.snapshots import snapshot_for
from careloop.patients.actions import record_list
from careloop.patients.models import PatientTag, describe_matched
from careloop.rules import RuleError, facts_read, format, parse

SAMPLE = 10  # patients shown by "try it"


def _rules(org_id: int) -> QuerySet[TagRule]:
    tagged = (
        PatientTag.objects.filter(tag_id=OuterRef("tag_id"), source="rule", rule=OuterRef("key"))
        .values("tag_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        TagRule.objects.filter(organization_id=org_id)
        .select_related("tag")
        .annotate(tagged=Coalesce(Subquery(tagged, output_field=IntegerField()), Value(0)))
    )


def _pointer(text: str) -> tuple[RuleError, Pointer | None] | None:
    """The rule's first problem and where to draw it, or None when the rule is valid."""
    try:
        parse(text)
    except RuleError as error:
        if error.span is None:
            return error, None
        span = error.span
        return error, pointer(text, span.line, span.column, span.end_line, span.end_column)
    return None


@login_required
def rule_list(request: StaffRequest) -> HttpResponse:
    org_id = organization_id_of(request, Perm.TAG_RULE_MANAGE)
    return render(request, "autotags/list.html", {"rules": _rules(org_id)})


@login_required
def rule_edit(request: StaffRequest, rule_id: int | None = None) -> HttpResponse:
    org_id = organization_id_of(request, Perm.TAG_RULE_MANAGE)
    rule = (
        get_object_or_404(TagRule, pk=rule_id, organization_id=org_id)
        if rule_id
        else TagRule(organization_id=org_id)
    )
    before = audit.snapshot(rule, actions.RULE_FIELDS)
    form = TagRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        if rule_id is None:
            rule = actions.do_create_tag_rule(request.user, form.save(commit=False))
            messages.success(
                request, _("Added the rule %(key)s. Try it, then switch it on.") % {"key": rule.key}
            )
        else:
            actions.do_update_tag_rule(request.user, form.save(commit=False), before)
            messages.success(request, _("Saved the rule %(key)s.") % {"key": rule.key})
        return redirect("staff:tag_rule", rule.pk)
    problem = _pointer(form.data.get("text", "")) if form.is_bound and "text" in form.errors else None
    context: dict[str, Any] = {"form": form, "rule": rule if rule_id else None, "problem": problem}
    if rule_id:
        context["tagged"] = PatientTag.objects.filter(
            tag_id=rule.tag_id, source="rule", rule=rule.key
        ).count()
    return render(request, "autotags/edit.html", context)


@login_required
@require_POST
def rule_try(request: StaffRequest) -> HttpResponse:
    """How many patients the rule in the editor matches now, and the first ten by name with the facts
    that matched: before it is saved or switched on. It counts the patients the rule would tag
    (`tagged_population`: the living ones), the same two queries as facts/preview.py, which counts the
    deceased too."""
    org_id = organization_id_of(request, Perm.TAG_RULE_MANAGE)
    text = request.POST.get("text", "")
    problem = _pointer(text)
    if problem is not None:
        return render(request, "autotags/_try.html", {"problem": problem})
    rule = parse(text)
    found = tagged_population(rule, org_id)
    count = found.count()
    sample = list(found.order_by("name_initials", "pk")[:SAMPLE])
    snapshots = snapshot_for(sample)
    read = sorted(facts_read(rule), key=format)
    rows = [(patient, describe_matched(matched_facts(read, snapshots[patient.pk]))) for patient in sample]
    record_list(request.user, [patient.pk for patient in sample], "tag_rule_try", ["rule"])
    return render(request, "autotags/_try.html", {"count": count, "rows": rows})


@login_required
@require_POST
def rule_enabled(request: StaffRequest, rule_id: int) -> HttpResponse:
    org_id = organization_id_of(request, Perm.TAG_RULE_MANAGE)
    rule = get_object_or_404(TagRule, pk=rule_id, organization_id=org_id)
    enabled = request.POST.get("enabled") == "1"
    done = actions.do_set_tag_rule_enabled(request.user, rule, enabled)
    if enabled:
        messages.success(request, _("Switched on: %(count)d patients tagged.") % {"count": done.added})
    else:
        messages.success(
            request, _("Switched off: the tag came off %(count)d patients.") % {"count": done.removed}
        )
    return redirect("staff:tag_rule", rule.pk)
