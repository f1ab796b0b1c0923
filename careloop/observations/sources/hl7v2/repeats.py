"""Results of one message that the merge will store as one row, said back to the sender as a warning.

An observation's natural key is (source system, source id), and for HL7 v2 the source id is
"<order>/<OBX-3>[/<OBX-4>]" (results.read_obx): OBX segments of one code under one order without
distinct OBX-4 sub-ids share a key, and the merge keeps the last of them (merge._latest), as a re-send
would. That is right for a lab that repeats a result, and silent loss for one that sends a series
(hourly glucose, ...) without sub-ids, so the ACK carries a warning per collapsed key. Pure: no Django
import.
"""

from dataclasses import dataclass

from careloop.observations.importing.parsed import ParseResult, Problem, because


@dataclass
class Repeat:
    code: str
    sent: int = 1  # results sent under one key; one of them is stored
    location: str = ""  # where the second of them is


def repeated_results(parsed: ParseResult) -> list[Repeat]:
    """Per natural key sent more than once in `parsed`, in the order the keys first appear."""
    seen: dict[tuple[str, str], Repeat] = {}
    keyed = [(r.source_system, r.source_id, r.code, r.location) for r in parsed.results]
    for source_system, source_id, code, location in keyed:
        repeat = seen.get((source_system, source_id))
        if repeat is None:
            seen[(source_system, source_id)] = Repeat(code)
            continue
        repeat.sent += 1
        repeat.location = repeat.location or location
    return [repeat for repeat in seen.values() if repeat.sent > 1]


def collapse_warnings(parsed: ParseResult) -> list[Problem]:
    """A Problem (code "duplicate") per collapsed key, for the ACK's warnings."""
    return [
        Problem(
            repeat.location,
            "OBX-4",
            "",
            because(
                "%(sent)s results of code %(code)s share one order and OBX-4 sub-id, so %(collapsed)s "
                "of them were not stored (only the last is kept); give each result its own OBX-4",
                sent=repeat.sent,
                code=repeat.code,
                collapsed=repeat.sent - 1,
            ),
            "duplicate",
        )
        for repeat in repeated_results(parsed)
    ]
