"""Coded values used by the patient record, with their display labels.

Codes are stored; labels are translated. Where a national or FHIR code set exists its codes are used:
sex follows FHIR AdministrativeGender, ethnicity GB/T 3304-1991 (中国各民族名称的罗马字母拼写法和代码).
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

SEX = [("male", _("Male")), ("female", _("Female")), ("other", _("Other")), ("unknown", _("Unknown"))]

ID_TYPES = [
    ("resident", _("Resident ID card")),
    ("passport", _("Passport")),
    ("hk_macao", _("Mainland travel permit (HK/Macao)")),
    ("taiwan", _("Mainland travel permit (Taiwan)")),
    ("other", _("Other document")),
]

ETHNICITIES = [
    ("01", _("Han")), ("02", _("Mongol")), ("03", _("Hui")), ("04", _("Tibetan")), ("05", _("Uyghur")),
    ("06", _("Miao")), ("07", _("Yi")), ("08", _("Zhuang")), ("09", _("Buyei")), ("10", _("Korean")),
    ("11", _("Manchu")), ("12", _("Dong")), ("13", _("Yao")), ("14", _("Bai")), ("15", _("Tujia")),
    ("16", _("Hani")), ("17", _("Kazakh")), ("18", _("Dai")), ("19", _("Li")), ("20", _("Lisu")),
    ("21", _("Va")), ("22", _("She")), ("23", _("Gaoshan")), ("24", _("Lahu")), ("25", _("Sui")),
    ("26", _("Dongxiang")), ("27", _("Naxi")), ("28", _("Jingpo")), ("29", _("Kirgiz")), ("30", _("Tu")),
    ("31", _("Daur")), ("32", _("Mulao")), ("33", _("Qiang")), ("34", _("Blang")), ("35", _("Salar")),
    ("36", _("Maonan")), ("37", _("Gelao")), ("38", _("Xibe")), ("39", _("Achang")), ("40", _("Pumi")),
    ("41", _("Tajik")), ("42", _("Nu")), ("43", _("Uzbek")), ("44", _("Russian")), ("45", _("Ewenki")),
    ("46", _("Deang")), ("47", _("Bonan")), ("48", _("Yugur")), ("49", _("Gin")), ("50", _("Tatar")),
    ("51", _("Derung")), ("52", _("Oroqen")), ("53", _("Hezhen")), ("54", _("Monba")), ("55", _("Lhoba")),
    ("56", _("Jino")), ("97", _("Other ethnicity")), ("98", _("Foreign national")),
]  # fmt: skip

OCCUPATIONS = [
    ("civil_servant", _("Civil servant / public institution")),
    ("professional", _("Professional / technical")),
    ("office", _("Office / clerical")),
    ("commerce", _("Commerce / services")),
    ("agriculture", _("Agriculture, forestry, fishery")),
    ("production", _("Production / transport worker")),
    ("military", _("Military")),
    ("student", _("Student")),
    ("retired", _("Retired")),
    ("unemployed", _("Not employed")),
    ("other", _("Other occupation")),
]

INSURANCE = [
    ("employee", _("Urban employee basic medical insurance")),
    ("resident", _("Urban and rural resident basic medical insurance")),
    ("public", _("Public-funded medical care")),
    ("commercial", _("Commercial insurance")),
    ("self_pay", _("Self-pay")),
    ("other", _("Other insurance")),
]

TAG_SOURCES = [("manual", _("Added by staff")), ("rule", _("Added by a rule")), ("import", _("Imported"))]

CARD_TIERS = [
    ("standard", _("Standard")),
    ("silver", _("Silver")),
    ("gold", _("Gold")),
    ("platinum", _("Platinum")),
]
CARD_STATUSES = [
    ("active", _("Active")),
    ("frozen", _("Frozen")),
    ("lost", _("Reported lost")),
    ("replaced", _("Replaced")),
]

RELATIONSHIPS = [
    ("spouse", _("Spouse")),
    ("father", _("Father")),
    ("mother", _("Mother")),
    ("son", _("Son")),
    ("daughter", _("Daughter")),
    ("sibling", _("Brother or sister")),
    ("grandparent", _("Grandparent")),
    ("grandchild", _("Grandchild")),
    ("guardian", _("Other legal guardian")),
    ("caregiver", _("Caregiver")),
    ("other", pgettext_lazy("relationship", "Other")),
]

CONSENT_PURPOSES = [
    ("care", _("Care and follow-up")),
    ("sensitive", _("Processing of sensitive health data")),
    ("marketing", _("Education and marketing messages")),
    ("research", _("Research")),
]
CONSENT_GIVERS = [("self", _("The patient")), ("guardian", _("A guardian"))]
CONSENT_METHODS = [
    ("written", _("Signed form")),
    ("verbal", _("Verbal, witnessed")),
    ("electronic", _("Electronic")),
]

CONDITION_STATUSES = [
    ("active", _("Active")),
    ("recurrence", _("Recurrence")),
    ("remission", _("Remission")),
    ("resolved", _("Resolved")),
]

ROUTES = [
    ("oral", _("Oral")),
    ("subcutaneous", _("Subcutaneous")),
    ("intravenous", _("Intravenous")),
    ("inhaled", _("Inhaled")),
    ("topical", _("Topical")),
    ("other", pgettext_lazy("route", "Other")),
]
FREQUENCIES = [
    ("qd", _("Once a day")),
    ("bid", _("Twice a day")),
    ("tid", _("Three times a day")),
    ("qid", _("Four times a day")),
    ("qn", _("Every night")),
    ("qw", _("Once a week")),
    ("prn", _("As needed")),
]

ALLERGY_CATEGORIES = [
    ("medication", _("Medicine")),
    ("food", _("Food")),
    ("environment", _("Environment")),
    ("other", pgettext_lazy("allergy", "Other")),
]
SEVERITIES = [("mild", _("Mild")), ("moderate", _("Moderate")), ("severe", _("Severe"))]

SMOKING = [
    ("never", _("Never smoked")),
    ("former", _("Former smoker")),
    ("current", _("Current smoker")),
]
ALCOHOL = [
    ("never", _("Never drinks")),
    ("occasional", _("Occasionally")),
    ("regular", _("Regularly")),
    ("heavy", _("Heavily")),
    ("former", _("Quit drinking")),
]
DIETS = [
    ("balanced", _("Balanced")),
    ("meat_heavy", _("Mostly meat")),
    ("vegetarian", _("Mostly vegetarian")),
    ("high_sugar", _("High in sugar")),
    ("high_fat", _("High in fat")),
]
SALT = [("low", _("Low")), ("moderate", _("Moderate")), ("high", _("High"))]
EXERCISE = [
    ("never", _("Never")),
    ("sometimes", _("Sometimes")),
    ("weekly", _("1–2 times a week")),  # noqa: RUF001 -- a range takes an en dash; django.po has it too
    ("regular", _("3 or more times a week")),
    ("daily", _("Every day")),
]

RELATIVES = [
    ("father", _("Father")),
    ("mother", _("Mother")),
    ("sibling", _("Brother or sister")),
    ("child", _("Child")),
    ("grandparent", _("Grandparent")),
    ("other", pgettext_lazy("relative", "Other")),
]

ENCOUNTER_CLASSES = [
    ("outpatient", _("Outpatient")),
    ("inpatient", _("Inpatient")),
    ("emergency", _("Emergency")),
    ("checkup", _("Health check")),
    ("home", _("Home visit")),
]

# Django 6.1's label for an empty choice in a select; its own zh-Hans catalogue lacks it, ours carries it.
BLANK_CHOICE_LABEL = gettext_noop("- Select an option -")
