"""Choices shared by the follow-up models (kept apart so that the contact models can import them)."""

from django.utils.translation import gettext_lazy as _

CHANNELS = [
    ("phone", _("Phone call")),
    ("sms", _("SMS")),
    ("wechat", _("WeChat")),
    ("portal", _("Patient portal")),
    ("visit", _("Visit")),
]
