"""What each staff role may do. Plain data: views and actions ask `role_allows(role, permission)`.

Three powers are kept apart, as 等保三级 asks (三员分立): the installation's superuser (no organization, the
Django admin only, no role here), each organization's administrator, and its audit reviewer, who alone
reads the audit trail and can do nothing else.
"""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DOCTOR = "doctor"
    NURSE = "nurse"  # 随访护士 / 健康管理师
    RECEPTIONIST = "receptionist"
    AUDITOR = "auditor"  # 审计员: reads the audit trail, nothing else


class Perm(StrEnum):
    PATIENT_VIEW = "patient.view"
    PATIENT_REGISTER = "patient.register"
    PATIENT_EDIT = "patient.edit"
    PATIENT_MERGE = "patient.merge"  # merge two records of one person, and undo a merge
    REVEAL_ID_NUMBER = "patient.reveal_id_number"
    REVEAL_MOBILE = "patient.reveal_mobile"
    CARD_MANAGE = "card.manage"
    FAMILY_MANAGE = "family.manage"
    CONSENT_RECORD = "consent.record"
    RECORD_VIEW = "record.view"  # clinical sections of the health record
    RECORD_EDIT_CLINICAL = "record.edit_clinical"  # conditions, medications, encounters
    RECORD_EDIT_NURSING = "record.edit_nursing"  # allergies, lifestyle, family history
    TAG_MANAGE = "tag.manage"
    RESULTS_IMPORT = "results.import"  # upload files of results, read import reports
    RESULTS_MATCH = "results.match"  # assign unmatched results to a patient
    CRITICAL_LIMITS_SET = "results.critical_limits"  # the organization's critical values (医务科 sets them)
    FEED_POLICY_SET = "results.feed_policy"  # what hospital feeds may do to the registry
    ALERT_VIEW = "alert.view"  # the alert inbox
    ALERT_HANDLE = "alert.handle"  # acknowledge, assign and resolve alerts
    AUDIT_VIEW = "audit.view"  # the audit reviewer's alone
    STAFF_MANAGE = "staff.manage"  # add, edit, deactivate, unlock staff and reset their passwords
    DEPARTMENT_MANAGE = "department.manage"
    PASSWORD_POLICY_SET = "password_policy.set"  # noqa: S105 -- a permission's name, not a password
    # Build, import, publish and retire questionnaires, and export their answers (with RECORD_VIEW).
    QUESTIONNAIRE_MANAGE = "questionnaire.manage"
    FOLLOWUP_WORK = "followup.work"  # the worklist: open tasks, record contacts and their recordings
    FOLLOWUP_ASSIGN = "followup.assign"  # hand tasks to another staff member, enrol and end plans
    PROTOCOL_MANAGE = "protocol.manage"  # switch protocols on and off, edit their definitions
    TAG_RULE_MANAGE = "tag_rule.manage"  # write, try and switch on the rules that tag patients


ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    # The administrator runs the organization but does not review the trail of what it does.
    Role.ADMIN: frozenset(Perm) - {Perm.AUDIT_VIEW},
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW}),
    Role.DOCTOR: frozenset(
        {
            Perm.PATIENT_VIEW,
            Perm.PATIENT_REGISTER,
            Perm.PATIENT_EDIT,
            Perm.PATIENT_MERGE,
            Perm.REVEAL_ID_NUMBER,
            Perm.REVEAL_MOBILE,
            Perm.FAMILY_MANAGE,
            Perm.CONSENT_RECORD,
            Perm.RECORD_VIEW,
            Perm.RECORD_EDIT_CLINICAL,
            Perm.RECORD_EDIT_NURSING,
            Perm.TAG_MANAGE,
            Perm.RESULTS_IMPORT,
            Perm.RESULTS_MATCH,
            Perm.ALERT_VIEW,
            Perm.ALERT_HANDLE,
            Perm.FOLLOWUP_WORK,
            Perm.FOLLOWUP_ASSIGN,
            Perm.TAG_RULE_MANAGE,
        }
    ),
    # Nurses phone patients all day, so they see mobile numbers, but not ID numbers.
    Role.NURSE: frozenset(
        {
            Perm.PATIENT_VIEW,
            Perm.PATIENT_EDIT,
            Perm.REVEAL_MOBILE,
            Perm.FAMILY_MANAGE,
            Perm.CONSENT_RECORD,
            Perm.RECORD_VIEW,
            Perm.RECORD_EDIT_NURSING,
            Perm.TAG_MANAGE,
            Perm.RESULTS_IMPORT,
            Perm.RESULTS_MATCH,
            # The follow-up nurse is often first to reach the patient an alert is about.
            Perm.ALERT_VIEW,
            Perm.ALERT_HANDLE,
            Perm.FOLLOWUP_WORK,
        }
    ),
    # Reception registers people and issues cards; it checks ID documents but does not read the
    # clinical record.
    Role.RECEPTIONIST: frozenset(
        {
            Perm.PATIENT_VIEW,
            Perm.PATIENT_REGISTER,
            Perm.PATIENT_EDIT,
            Perm.REVEAL_ID_NUMBER,
            Perm.REVEAL_MOBILE,
            Perm.CARD_MANAGE,
            Perm.CONSENT_RECORD,
        }
    ),
}


def permissions_of(role: str) -> frozenset[Perm]:
    """What the role may do; nothing for a value that is not a role."""
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def role_allows(role: str, permission: Perm) -> bool:
    return permission in permissions_of(role)
