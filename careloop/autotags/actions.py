"""Changes to an organization's tag rules, each with its audit entry in the same transaction.

Switching a rule on (or editing one that is on) applies it at once, synchronously: one query finds the
patients and the new tags are written in chunks (careloop.autotags.apply), a few seconds for a hundred
thousand patients, and the person who switched it on sees the patients tagged when the page comes back.
Switching it off takes its tags off again (manual and imported tags stay): a rule that is off vouches for
nothing, and the daily sweep would never look at its tags again.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import Organization, User
from careloop.accounts.organization_actions import authorize_in
from careloop.accounts.roles import Perm
from careloop.autotags.apply import Applied, apply_tag_rules, disable_rule_tags
from careloop.autotags.models import TagRule
from careloop.patients.models import PatientTag
from careloop.patients.tag_actions import shipped_tag
from careloop.rules.default_tags import DEFAULT_TAGS, SOURCES

RULE_FIELDS = ["tag_id", "key", "text", "source_note"]
SHIPS_ENABLED = ("high", "medium")  # the confidence of a source that lets its rule ship switched on


@transaction.atomic
def do_create_tag_rule(by: User, rule: TagRule) -> TagRule:
    authorize_in(by, rule.organization_id, Perm.TAG_RULE_MANAGE)
    rule.created_by = rule.updated_by = by
    rule.enabled = False  # a new rule is tried first, then switched on (do_set_tag_rule_enabled)
    rule.save()
    audit.record(
        "tag_rule.created",
        organization_id=rule.organization_id,
        obj=rule,
        actor=by,
        detail={"key": rule.key, "tag": rule.tag.name, "text": rule.text},
    )
    return rule


@transaction.atomic
def do_update_tag_rule(by: User, rule: TagRule, before: dict[str, Any]) -> Applied | None:
    """Save the rule's new text, tag, key or source; `before` holds RULE_FIELDS as they were. A rule that
    is on is applied again at once (what it applied returned)."""
    authorize_in(by, rule.organization_id, Perm.TAG_RULE_MANAGE)
    changes = audit.changes(before, rule)
    if not changes:
        return None
    # The tags it made under its old tag or key are no longer its own: they go, and it tags afresh.
    PatientTag.objects.filter(tag_id=before["tag_id"], source="rule", rule=before["key"]).exclude(
        tag_id=rule.tag_id, rule=rule.key
    ).delete()
    rule.updated_by, rule.updated_at = by, timezone.now()
    rule.save()
    audit.record(
        "tag_rule.updated",
        organization_id=rule.organization_id,
        obj=rule,
        actor=by,
        detail={"changes": changes},
    )
    if rule.enabled:
        return apply_tag_rules(rule.organization_id, rules=[rule])[rule.key]
    return None


@transaction.atomic
def do_set_tag_rule_enabled(by: User, rule: TagRule, enabled: bool) -> Applied:
    """Switch the rule on (it tags its patients now) or off (its tags come off)."""
    authorize_in(by, rule.organization_id, Perm.TAG_RULE_MANAGE)
    if rule.enabled == enabled:
        return Applied()
    TagRule.objects.filter(pk=rule.pk).update(enabled=enabled, updated_by=by, updated_at=timezone.now())
    rule.enabled = enabled
    if enabled:
        done = apply_tag_rules(rule.organization_id, rules=[rule])[rule.key]
    else:
        done = Applied(removed=disable_rule_tags(rule))
    audit.record(
        "tag_rule.enabled" if enabled else "tag_rule.disabled",
        organization_id=rule.organization_id,
        obj=rule,
        actor=by,
        detail={"key": rule.key, "added": done.added, "removed": done.removed},
    )
    return done


@transaction.atomic
def do_install_default_tag_rules(organization: Organization) -> list[TagRule]:
    """The shipped auto-tag rules (careloop/rules/default_tags.py) with their tags, made by CareLoop itself.

    Idempotent: a tag or a rule the organization already has (by name, by key) is left as it is, edits and
    switch included. A rule whose source's confidence is high or medium ships on, the others off; nothing
    is applied here (the caller applies, the sweep does every day)."""
    made_tags, made_rules, rules = [], [], []
    for name, text in DEFAULT_TAGS.items():
        key, source, confidence = SOURCES[name]
        tag, created = shipped_tag(organization.pk, name)
        if created:
            made_tags.append(name)
        rule = TagRule.objects.filter(organization=organization, key=key).first()
        if rule is None:
            rule = TagRule(
                organization=organization,
                tag=tag,
                key=key,
                text=text,
                source_note=f"{source} ({confidence})",
                enabled=confidence in SHIPS_ENABLED,
            )
            rule.save()
            made_rules.append(key)
        rules.append(rule)
    if made_tags or made_rules:
        audit.record(
            "tag_rule.installed",
            organization_id=organization.pk,
            detail={"tags": made_tags, "rules": made_rules},
        )
    return rules
