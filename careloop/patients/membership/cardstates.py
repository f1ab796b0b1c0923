"""Which status changes a membership card allows. Pure: actions and templates share one table.

A card "in force" belongs to the patient: active, or frozen (suspended at the holder's request, e.g. while
abroad). Lost and replaced cards are history; they never come back.
"""

IN_FORCE = frozenset({"active", "frozen"})

# change → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "freeze": (frozenset({"active"}), "frozen"),
    "unfreeze": (frozenset({"frozen"}), "active"),
    "report_lost": (IN_FORCE, "lost"),
}


class TransitionError(ValueError):
    def __init__(self, change: str, status: str):
        super().__init__(f"a {status} card cannot {change}")
        self.change = change
        self.status = status


def allows(change: str, status: str) -> bool:
    sources, _target = TRANSITIONS[change]
    return status in sources


def next_status(change: str, status: str) -> str:
    sources, target = TRANSITIONS[change]
    if status not in sources:
        raise TransitionError(change, status)
    return target


def is_in_force(status: str) -> bool:
    return status in IN_FORCE
