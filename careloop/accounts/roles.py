"""What each staff role may do. Plain data: views and actions ask `role_allows(role, permission)`."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DOCTOR = "doctor"
    NURSE = "nurse"  # 随访护士 / 健康管理师
    RECEPTIONIST = "receptionist"


class Perm(StrEnum):
    PATIENT_VIEW = "patient.view"
    PATIENT_REGISTER = "patient.register"
    PATIENT_EDIT = "patient.edit"
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
    AUDIT_VIEW = "audit.view"


_ALL = frozenset(Perm)

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: _ALL,
    Role.DOCTOR: frozenset(
        {
            Perm.PATIENT_VIEW,
            Perm.PATIENT_REGISTER,
            Perm.PATIENT_EDIT,
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


def role_allows(role: str, permission: Perm) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
