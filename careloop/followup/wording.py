"""A protocol and an enrolment said in words, in the page's language: step labels, the trigger, the
schedule of each step, the stop rules, the escalation ladder, what enrolled a patient.

step_labels.py (pure) chooses a label's form; this module owns the sentences, so translators see whole
phrases ("Day %(day)s call"), never words glued together.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from careloop.accounts.models import User
from careloop.followup.choices import CHANNELS
from careloop.followup.models import Protocol
from careloop.followup.protocol_reading import Adaptation, Assignee, ProtocolStep, Rung, StopRule, Trigger
from careloop.followup.schedule import Interval, Phase
from careloop.followup.step_labels import StepWording, word_step
from careloop.questionnaires.tab import in_language, reader_language

# Lazy: a page of fifty rows translates the one phrase each row needs, not every phrase for every row.
_CHANNEL_NOUNS = {
    "phone": pgettext_lazy("follow-up step", "call"),
    "sms": pgettext_lazy("follow-up step", "SMS"),
    "wechat": pgettext_lazy("follow-up step", "WeChat message"),
    "portal": pgettext_lazy("follow-up step", "portal message"),
    "visit": pgettext_lazy("follow-up step", "visit"),
}
_STEP_PHRASES = {
    "day": gettext_lazy("Day %(n)s %(channel)s"),
    "week": gettext_lazy("Week %(n)s %(channel)s"),
    "month": gettext_lazy("Month %(n)s %(channel)s"),
    "year": gettext_lazy("Year %(n)s %(channel)s"),
    "weekly": gettext_lazy("Weekly %(channel)s #%(k)s"),
    "monthly": gettext_lazy("Monthly %(channel)s #%(k)s"),
    "quarterly": gettext_lazy("Quarterly %(channel)s #%(k)s"),
    "half_yearly": gettext_lazy("Half-yearly %(channel)s #%(k)s"),
    "yearly": gettext_lazy("Yearly %(channel)s #%(k)s"),
    "recurring": gettext_lazy("Recurring %(channel)s #%(k)s"),
    "agreed": gettext_lazy("Agreed call-back"),
}


def channel_noun(channel: str) -> str:
    """What a step of the channel is called: 电话随访, not 电话."""
    noun = _CHANNEL_NOUNS.get(channel)
    return channel if noun is None else str(noun)


def label_of(wording: StepWording) -> str:
    phrase = _STEP_PHRASES.get(wording.form)
    if phrase is None:
        return wording.key
    values = {"n": wording.amount, "channel": channel_noun(wording.channel), "k": wording.occurrence}
    return str(phrase) % values


def step_of(protocol: Protocol, key: str) -> ProtocolStep | None:
    return next((step for step in protocol.parsed.steps if step.key == key), None)


def step_label(protocol: Protocol, key: str, number: int) -> str:
    adaptation = next((a for a in protocol.parsed.adaptations if a.key == key), None)
    if adaptation is not None:  # a recheck brought forward: the protocol names it
        return in_language(dict(adaptation.name), reader_language()) or key
    return label_of(word_step(step_of(protocol, key), key, number))


def interval_words(interval: Interval) -> str:
    n = interval.amount
    phrases = {
        "day": ngettext("%(n)s day", "%(n)s days", n),
        "week": ngettext("%(n)s week", "%(n)s weeks", n),
        "month": ngettext("%(n)s month", "%(n)s months", n),
        "year": ngettext("%(n)s year", "%(n)s years", n),
    }
    return phrases[interval.unit] % {"n": n}


def offset_words(offset: Interval) -> str:
    if offset.amount == 0:
        return _("on the anchor date")
    return _("%(interval)s after the anchor date") % {"interval": interval_words(offset)}


def window_words(step: ProtocolStep) -> str:
    before, after = step.schedule.before, step.schedule.after
    if not before and not after:
        return _("no window: due on the day")
    return _("from %(before)s days before to %(after)s days after") % {"before": before, "after": after}


def phase_words(phase: Phase) -> str:
    every = interval_words(phase.every)
    if phase.times is None:
        return _("then every %(every)s, without end") % {"every": every}
    return ngettext(
        "then every %(every)s, %(times)s time", "then every %(every)s, %(times)s times", phase.times
    ) % {"every": every, "times": phase.times}


def assignee_words(assignee: Assignee) -> str:
    role = _role(assignee.role)
    if assignee.kind == "responsible_doctor":
        return _("the responsible doctor (else the %(role)s queue)") % {"role": role}
    if assignee.kind == "user":
        return _("%(user)s (else the %(role)s queue)") % {"user": assignee.username, "role": role}
    return _("the %(role)s queue") % {"role": role}


def _role(role: str) -> str:
    labels = dict(User._meta.get_field("role").choices or [])
    return str(labels.get(role, role))


def trigger_words(trigger: Trigger) -> str:
    if trigger.kind == "discharge":
        where = "、".join(trigger.departments) if trigger.departments else _("any department")
        text = _("Discharge from %(where)s") % {"where": where}
        if trigger.diagnosis_prefixes:
            text += " · " + _("diagnosis %(codes)s") % {"codes": ", ".join(trigger.diagnosis_prefixes)}
        return text
    if trigger.kind == "diagnosis_added":
        return _("A diagnosis added: %(codes)s") % {"codes": ", ".join(trigger.diagnosis_prefixes)}
    if trigger.kind == "tag_added":
        return _("The tag %(tag)s added") % {"tag": trigger.tag}
    if trigger.kind == "abnormal_result":
        return _("An abnormal result of %(code)s") % {"code": trigger.code}
    if trigger.kind == "questionnaire_band":
        return _("%(questionnaire)s answered in band %(bands)s") % {
            "questionnaire": trigger.questionnaire,
            "bands": ", ".join(trigger.bands),
        }
    return _("Enrolled by hand only")


def anchor_words(anchor: str) -> str:
    return {
        "discharge_date": _("the discharge date"),
        "enrolment_date": _("the enrolment date"),
        "trigger_date": _("the date of the triggering event"),
    }.get(anchor, anchor)


def stop_words(rule: StopRule) -> str:
    if rule.kind == "goal_met":
        return _("Goal met: %(rule)s") % {"rule": rule.rule}
    return {
        "deceased": _("The patient died"),
        "moved": _("The patient moved away"),
        "consent_withdrawn": _("Consent withdrawn"),
    }.get(rule.kind, rule.kind)


def rung_words(rung: Rung) -> str:
    changes = []
    if rung.channel:
        changes.append(_("by %(channel)s") % {"channel": dict(CHANNELS).get(rung.channel, rung.channel)})
    if rung.assignee is not None:
        changes.append(_("to %(assignee)s") % {"assignee": assignee_words(rung.assignee)})
    return ngettext(
        "After %(days)s more day unanswered: %(changes)s",
        "After %(days)s more days unanswered: %(changes)s",
        rung.after_days,
    ) % {"days": rung.after_days, "changes": ", ".join(changes)}


def provenance_words(trigger: Mapping[str, Any], enrolled_by: str) -> str:
    """What enrolled the patient: the event kept as the enrolment's trigger, or who did it by hand."""
    kind = trigger.get("kind")
    if kind == "discharge":
        return _("Discharge from %(department)s on %(date)s") % {
            "department": trigger.get("department") or _("an unnamed department"),
            "date": trigger.get("discharged", "?"),
        }
    if kind == "diagnosis_added":
        return _("Diagnosis %(code)s added") % {"code": trigger.get("code", "?")}
    if kind == "tag_added":
        return _("Tag %(tag)s added") % {"tag": trigger.get("tag", "?")}
    if kind == "abnormal_result":
        return _("Abnormal result of %(code)s") % {"code": trigger.get("code", "?")}
    if kind == "questionnaire_band":
        return _("%(code)s answered in band %(band)s") % {
            "code": trigger.get("code", "?"),
            "band": trigger.get("band", "?"),
        }
    if enrolled_by:
        return _("Enrolled by hand by %(user)s") % {"user": enrolled_by}
    return _("Enrolled by hand")


def adaptation_words(adaptation: Adaptation) -> dict[str, str]:
    """An adaptive-frequency entry in words, for the protocol page."""
    when = _(
        "after a contact that reached the patient, when the rule holds: a %(channel)s within %(days)s days"
    ) % {
        "channel": channel_noun(adaptation.channel),
        "days": adaptation.within_days,
    }
    return {
        "name": in_language(dict(adaptation.name), reader_language()),
        "when": when,
        "rule": adaptation.rule,
    }
