"""The consent ledger's rules (Personal Information Protection Law of the PRC, 2021).

- Art. 28-29: medical and health information is sensitive personal information; processing it needs
  the person's separate consent.
- Art. 31: for a minor under 14 the consent of a parent or other guardian is required.
- Art. 15: consent may be withdrawn at any time; withdrawal takes effect for later processing at once.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GUARDIAN_CONSENT_BELOW_AGE = 14


@dataclass(frozen=True)
class ConsentFact:
    purpose: str
    granted: bool
    at: datetime


def requires_guardian(age_years: int) -> bool:
    return age_years < GUARDIAN_CONSENT_BELOW_AGE


def current_state(events: Iterable[ConsentFact]) -> dict[str, ConsentFact]:
    """The newest event per purpose. A purpose with no event has no consent."""
    latest: dict[str, ConsentFact] = {}
    for event in events:
        known = latest.get(event.purpose)
        if known is None or event.at >= known.at:
            latest[event.purpose] = event
    return latest


def is_granted(events: Iterable[ConsentFact], purpose: str) -> bool:
    fact = current_state(events).get(purpose)
    return bool(fact and fact.granted)
