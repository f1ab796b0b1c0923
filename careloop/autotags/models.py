"""自动设置标签: an organization's rules that put a tag on the patients whose facts match.

The rule is text in the one rule language (careloop.rules); `clean()` refuses a rule that does not parse or
does not make sense, with the position of the wrong part. What a rule added is a PatientTag with
source="rule" and rule=<key>: `careloop.autotags.apply` adds and removes only those.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Organization, User
from careloop.patients.models import Tag
from careloop.rules import Expr, RuleError, parse


class TagRule(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tag_rules")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="rules")
    key = models.SlugField(_("key"), max_length=100)  # PatientTag.rule of the tags it adds
    text = models.TextField(_("rule"))
    enabled = models.BooleanField(_("enabled"), default=False)
    source_note = models.CharField(_("source of the threshold"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    last_applied_at = models.DateTimeField(_("last applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="tagrule_unique_key")]

    def __str__(self) -> str:
        return self.key

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A wrong rule never reaches the table, whichever path saves it (form, action, admin, shell).
        self.clean()
        super().save(*args, **kwargs)

    @property
    def rule(self) -> Expr:
        """The parsed rule; RuleError if the text was changed behind `clean()`'s back."""
        return parse(self.text)

    def clean(self) -> None:
        if (
            self.tag_id is not None
            and self.organization_id is not None
            and self.tag.organization_id != self.organization_id
        ):
            raise ValidationError({"tag": _("The tag belongs to another organization.")})
        try:
            parse(self.text)
        except RuleError as error:
            raise ValidationError({"text": rule_error_message(error)}, code="rule") from error


def rule_error_message(error: RuleError) -> str:
    if error.line is None:
        return error.message
    return _("Line %(line)d, column %(column)d: %(message)s") % {
        "line": error.line,
        "column": error.column,
        "message": error.message,
    }
