"""An organization's critical values (危急值) beside the catalogue's: what the import judges by and what the
page lists. Setting them is an action: `careloop.observations.actions.do_set_critical_limits`."""

from dataclasses import dataclass

from careloop.observations import catalogue, flags
from careloop.observations.catalogue import Indicator
from careloop.observations.models import CriticalLimit


def critical_limits_for(organization_id: int) -> dict[str, flags.CriticalLimits]:
    """The organization's critical limits by indicator code, where it set its own (normalize.Normalizer)."""
    limits = {}
    rows = CriticalLimit.objects.filter(organization_id=organization_id).values_list("code", "low", "high")
    for code, low, high in rows:
        indicator = catalogue.find(code)
        if indicator is not None:  # a code the catalogue has dropped judges nothing
            limits[indicator.code] = flags.critical_limits(indicator, low, high)
    return limits


@dataclass(frozen=True)
class LimitRow:
    """One indicator on the critical values page: the catalogue's limits and the organization's own."""

    indicator: Indicator
    own: CriticalLimit | None

    @property
    def in_force(self) -> flags.CriticalLimits:
        if self.own is None:
            return self.indicator.critical_low, self.indicator.critical_high
        return flags.critical_limits(self.indicator, self.own.low, self.own.high)


def judged_indicators() -> list[Indicator]:
    """The indicators a critical limit can apply to: those with a number for a value."""
    return [indicator for indicator in catalogue.catalogue().indicators if indicator.kind == "quantity"]


def limit_rows(organization_id: int) -> list[LimitRow]:
    own = {limit.code: limit for limit in CriticalLimit.objects.filter(organization_id=organization_id)}
    return [LimitRow(indicator, own.get(indicator.code)) for indicator in judged_indicators()]


def limit_row(organization_id: int, indicator: Indicator) -> LimitRow:
    own = CriticalLimit.objects.filter(organization_id=organization_id, code=indicator.code).first()
    return LimitRow(indicator, own)
