"""What each audit action code means, in words: the audit page shows these and filters by them.

A new `audit.record("<noun>.<verb>", ...)` needs a line here (tests/accounts/test_audit_labels.py fails
without one). Codes built at run time come in families: `record.<model>.<verb>` for the health-record
sections (worded from the section model's own name) and `card.<change>` for the card changes.
"""

from collections.abc import Mapping

from django.apps import apps
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from careloop.accounts.auditchain import REASONS
from careloop.accounts.auditexport import PROBLEMS

LABELS: dict[str, Promise] = {
    "login": _("Signed in"),
    "login.failed": _("Sign-in failed"),
    "login.locked": _("Account locked after failed sign-ins"),
    "logout": _("Signed out"),
    "login.throttled": _("Sign-ins held back after repeated failures"),
    "login.recovery_code_used": _("Signed in with a recovery code"),
    "account.totp_enabled": _("Turned on the second factor"),
    "account.totp_replaced": _("Moved the second factor to a new authenticator app"),
    "account.recovery_codes_regenerated": _("Made new recovery codes"),
    "account.recovery_code_used": _("Used a recovery code to confirm a change"),
    "account.confirm_failed": _("Failed to confirm a change to the second factor"),
    "account.unlocked": _("Unlocked an account"),
    "password.changed": _("Changed their password"),
    "password.expired": _("Password expired: a change was required"),
    "staff.created": _("Added a staff member"),
    "staff.updated": _("Changed a staff member's details or role"),
    "staff.deleted": _("Deleted a staff member"),
    "staff.password_reset": _("Reset a staff member's password"),
    "staff.password_set": _("Set a staff member's password"),
    "department.created": _("Added a department"),
    "department.renamed": _("Renamed a department"),
    "department.deleted": _("Deleted a department"),
    "tag.created": _("Added a tag"),
    "tag.updated": _("Edited a tag"),
    "tag.deleted": _("Deleted a tag"),
    "tag_rule.created": _("Added a tag rule"),
    "tag_rule.updated": _("Edited a tag rule"),
    "tag_rule.enabled": _("Switched a tag rule on"),
    "tag_rule.disabled": _("Switched a tag rule off"),
    "tag_rule.installed": _("Installed the shipped tag rules"),
    "tag_rule.apply": _("Applied the tag rules"),
    "organization.created": _("Created an organization"),
    "organization.updated": _("Changed an organization's details"),
    "organization.deleted": _("Deleted an organization"),
    "password_policy.changed": _("Changed the password policy"),
    "patient.create": _("Registered a patient"),
    "patient.update": _("Edited a patient's details"),
    "patient.view": _("Opened a patient's record"),
    "patient.reveal": _("Revealed a patient's ID or phone number"),
    "patient.list": _("Listed or searched patients"),
    "patient.tag": _("Tagged a patient"),
    "patient.untag": _("Removed a tag from a patient"),
    "patient.merge": _("Merged two records of one patient"),
    "patient.unmerge": _("Undid a merge of two patient records"),
    "card.issue": _("Issued a membership card"),
    "card.freeze": _("Froze a membership card"),
    "card.unfreeze": _("Unfroze a membership card"),
    "card.report_lost": _("Reported a membership card lost"),
    "card.replace": _("Replaced a lost membership card"),
    "card.print": _("Printed a membership card"),
    "consent.grant": _("Recorded a consent"),
    "consent.withdraw": _("Recorded a consent withdrawn"),
    "family.add": _("Linked a family member"),
    "family.update": _("Edited a family link"),
    "family.remove": _("Removed a family link"),
    "critical_limits.set": _("Set critical-value limits"),
    "import.start": _("Started a results import"),
    "questionnaire.install": _("Installed a questionnaire version"),
    "questionnaire.answer": _("Recorded a questionnaire answer"),
    "questionnaire.link_send": _("Sent a questionnaire link"),
    "questionnaire.link_withdraw": _("Withdrew a questionnaire link"),
    "questionnaire.create": _("Created a questionnaire"),
    "questionnaire.publish": _("Published a questionnaire version"),
    "questionnaire.retire": _("Retired a questionnaire"),
    "questionnaire.reactivate": _("Put a retired questionnaire back in use"),
    "questionnaire.import": _("Imported a questionnaire from FHIR JSON"),
    "questionnaire.export": _("Exported a questionnaire's answers"),
    "alert.raise": _("Raised an alert"),
    "alert.acknowledge": _("Acknowledged an alert"),
    "alert.assign": _("Assigned an alert"),
    "alert.resolve": _("Resolved an alert"),
    "recording.upload": _("Uploaded a call recording"),
    "recording.play": _("Played a call recording"),
    "recording.download": _("Downloaded a call recording"),
    "recording.transcript": _("Saved a call recording's transcript"),
    "recording.transcribe": _("Asked for a call recording to be transcribed"),
    "recording.convert": _("Made a playable copy of a call recording"),
    "recording.convert_failed": _("Could not make a playable copy of a call recording"),
    "protocol.install": _("Installed a follow-up protocol version"),
    "protocol.status": _("Switched a follow-up protocol on or off"),
    "enrolment.create": _("Enrolled a patient in a follow-up protocol"),
    "contact.record": _("Recorded a follow-up contact"),
    "task.assign": _("Reassigned follow-up tasks"),
    "enrolment.end": _("Ended a patient's follow-up enrolment"),
    "enrolment.move_anchor": _("Moved the anchor date of a follow-up enrolment"),
    "followup.sweep": _("Ran the follow-up sweep: tasks made, missed, enrolments ended"),
    "enrolment.triggered": _("Enrolled the patients whose protocol trigger fired"),
    "import.finish": _("Finished a results import"),
    "import.match": _("Matched waiting results to a patient"),
    "import.view": _("Viewed an import and its problems"),
    "import.errors_downloaded": _("Downloaded an import's error report"),
    "unmatched.list": _("Viewed results waiting for a patient"),
    "unmatched.register": _("Opened a registration filled from a waiting record"),
    "unmatched.reject": _("Rejected a registration a feed proposed"),
    "patient.feed_held": _("Held a feed's change to a patient for review"),
    "patient.feed_review": _("Decided a feed's change to a patient"),
    "feed_policy.set": _("Set what hospital feeds may do to the registry"),
    "keys.rotate": _("Re-encrypted identifiers with a new key"),
    "patients.seed": _("Made synthetic patients"),
    "demo.setup": _("Set up the demo clinic"),
}

# Health-record sections: `record.<model name>.<verb>`; the section is named by its model's verbose name.
RECORD_VERBS: dict[str, Promise] = {
    "create": _("Health record: %(section)s added"),
    "update": _("Health record: %(section)s edited"),
    "delete": _("Health record: %(section)s removed"),
}
RECORD_FAMILY_LABELS: dict[str, Promise] = {
    "create": _("Health record: added an item"),
    "update": _("Health record: edited an item"),
    "delete": _("Health record: removed an item"),
}

# Prefixes of the codes that are built at run time (f"card.{change}", f"record.{model}.{verb}").
DYNAMIC_PREFIXES = ("card.", "record.")


def _record_label(code: str) -> str | None:
    parts = code.split(".")
    if len(parts) != 3 or parts[0] != "record" or parts[2] not in RECORD_VERBS:
        return None
    try:
        section = apps.get_model("patients", parts[1])._meta.verbose_name
    except LookupError:
        section = parts[1]
    return gettext(str(RECORD_VERBS[parts[2]])) % {"section": section}


def label(code: str) -> str:
    """The action in words; a code nobody has worded yet is still shown readably ("Staff: create")."""
    known = LABELS.get(code)
    if known is not None:
        return str(known)
    worded = _record_label(code)
    if worded is not None:
        return worded
    noun, _dot, verb = code.replace("_", " ").partition(".")
    return f"{capfirst(noun)}: {verb.replace('.', ' ')}" if verb else capfirst(noun)


def is_worded(code: str) -> bool:
    return code in LABELS or _record_label(code) is not None


# The filter's choices: one per code, and one per health-record verb across all sections.
RECORD_FAMILY = "record.*."


def action_choices() -> list[tuple[str, str]]:
    choices = [(code, str(text)) for code, text in LABELS.items()]
    choices += [(RECORD_FAMILY + verb, str(text)) for verb, text in RECORD_FAMILY_LABELS.items()]
    return sorted(choices, key=lambda choice: choice[1])


def action_filter(choice: str) -> Q:
    """The entries a chosen action covers: one code, or one health-record verb in every section."""
    if choice.startswith(RECORD_FAMILY):
        return Q(action__startswith="record.", action__endswith="." + choice.removeprefix(RECORD_FAMILY))
    return Q(action=choice)


def break_words(kind: str, params: Mapping[str, object], fallback: str = "") -> str:
    """Why a chain breaks, in the reader's language (the check stores the kind and its params)."""
    template = REASONS.get(kind)
    return gettext(template) % params if template else fallback


def checkpoint_problem_words(kind: str, params: Mapping[str, object]) -> str:
    template = PROBLEMS.get(kind)
    return gettext(template) % params if template else kind
