"""Whether the user reads Chinese: the catalogue's own names and some wording come in Chinese and English."""

from django.utils.translation import get_language


def in_chinese() -> bool:
    """Whether the active language is a Chinese one (zh-hans; zh-hant would read the same names)."""
    return (get_language() or "").startswith("zh")
