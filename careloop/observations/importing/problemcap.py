"""Which refusals an import stores: the first `cap` of them, and past those a count per kind.

A file of three million bad rows once wrote three million problem rows and an error report no worker
could serve. People fix a file from its first refusals; the rest only need to be known to exist, and
of which kind ("2,990,000 more: Duplicate 2,000,000, Not a number 990,000").
Pure: no Django import.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from careloop.observations.importing.parsed import Problem


@dataclass
class ProblemTally:
    cap: int
    kept: int = 0
    beyond: Counter[str] = field(default_factory=Counter)  # problem code -> how many were not kept

    def keep(self, problems: Sequence[Problem]) -> Sequence[Problem]:
        """The first of `problems` that still fit under the cap; the others are counted by code."""
        room = max(0, self.cap - self.kept)
        kept = problems[:room]
        self.kept += len(kept)
        if len(problems) > room:
            self.beyond.update(problem.code for problem in problems[room:])
        return kept
