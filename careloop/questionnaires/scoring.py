"""Totals, bands and flags from a patient's answers, following the Questionnaire's scoring rules.

Source for the completeness rule: ../shared/reference/instruments.md §0 — compute a total only when
every scored item has an answer (CamCOPS marks PHQ-9, GAD-7 and AUDIT-C incomplete otherwise); no
source gives a prorating rule, so none is applied. A disabled item counts as unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass

from careloop.questionnaires.definition import Number, Questionnaire
from careloop.questionnaires.enablewhen import enabled_link_ids
from careloop.questionnaires.responses import AnswerError, Answers, validate_answers
from careloop.questionnaires.scoring_rules import SEXES, Band, FlagRule, ScoreRule, ScoringRules


class InvalidAnswers(ValueError):
    def __init__(self, errors: list[AnswerError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


@dataclass(frozen=True)
class ScoreResult:
    """A total, or None with `reason` saying why it was not computed."""

    rule: ScoreRule
    total: Number | None
    band: Band | None = None
    reason: str | None = None

    @property
    def alert(self) -> str | None:
        """The severity of the alert this total raises (its band's `alert`), or None."""
        return self.band.alert if self.band is not None else None


@dataclass(frozen=True)
class FlagResult:
    """`raised` is None when a condition's item is unanswered: the flag could not be decided."""

    rule: FlagRule
    raised: bool | None
    reason: str | None = None

    @property
    def alert(self) -> str | None:
        """The severity of the alert this flag raises: only a raised flag alerts."""
        return self.rule.alert if self.raised else None


@dataclass(frozen=True)
class Scoring:
    scores: tuple[ScoreResult, ...]
    flags: tuple[FlagResult, ...]

    def score(self, code: str) -> ScoreResult:
        return next(result for result in self.scores if result.rule.code == code)

    def flag(self, code: str) -> FlagResult:
        return next(result for result in self.flags if result.rule.code == code)


def score_answers(
    questionnaire: Questionnaire, answers: Answers, *, sex: str | None = None, policy: str | None = None
) -> Scoring:
    """Score `answers`; raises `InvalidAnswers` unless they pass `validate_answers` (unanswered allowed).

    `sex` ("male"/"female") picks sex-specific bands (AUDIT-C); `policy` picks an alternative band set
    that the Questionnaire names (None is the default set).
    """
    errors = validate_answers(questionnaire, answers, complete=False)
    if errors:
        raise InvalidAnswers(errors)
    rules = questionnaire.scoring or ScoringRules()
    enabled = enabled_link_ids(questionnaire, answers)
    item_scores: dict[str, Number] = {}
    for link_id, values in answers.items():
        option = questionnaire.item(link_id).option_for(values[0]) if values and link_id in enabled else None
        if option is not None and option.score is not None:
            item_scores[link_id] = option.score
    return Scoring(
        scores=tuple(_score(rule, item_scores, sex, policy) for rule in rules.scores),
        flags=tuple(_flag(rule, item_scores) for rule in rules.flags),
    )


def _score(
    rule: ScoreRule, item_scores: dict[str, Number], sex: str | None, policy: str | None
) -> ScoreResult:
    missing = [link_id for link_id in rule.items if link_id not in item_scores]
    if missing:
        return ScoreResult(rule, None, reason=f"not scored: unanswered item(s) {', '.join(missing)}")
    total = sum(item_scores[link_id] for link_id in rule.items)
    bands = [band for band in rule.bands if band.policy == policy]
    if any(band.sex for band in bands) and sex not in SEXES:
        # Reference §5.2: no source gives a cut-off for an unknown or other sex; a clinician decides.
        return ScoreResult(
            rule, total, reason="no band: these cut-offs are sex-specific and the sex is not known"
        )
    band = next((b for b in bands if b.sex in (None, sex) and b.min <= total <= b.max), None)
    return ScoreResult(rule, total, band, None if band else f"no band covers the total {total}")


def _flag(rule: FlagRule, item_scores: dict[str, Number]) -> FlagResult:
    missing = [c.item for c in rule.when if c.item not in item_scores]
    if missing:
        return FlagResult(rule, None, reason=f"not decided: unanswered item(s) {', '.join(missing)}")
    return FlagResult(rule, all(c.holds(item_scores[c.item]) for c in rule.when))
