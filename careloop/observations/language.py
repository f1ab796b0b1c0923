"""The observations pages' wording in the reader's language: whether they read Chinese (the catalogue's own
names come in Chinese and English), and the catalogue's categories by name."""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

CATEGORY_LABELS = {
    "vitals": _("Vital signs"),
    "glucose": _("Blood glucose"),
    "lipids": _("Blood lipids"),
    "renal": _("Kidney function"),
    "liver": _("Liver function"),
    "blood_count": _("Blood count"),
    "thyroid": _("Thyroid"),
    "urine": _("Urine"),
    "other": _("Other"),
}


def in_chinese() -> bool:
    """Whether the active language is a Chinese one (zh-hans; zh-hant would read the same names)."""
    return (get_language() or "").startswith("zh")
