"""The common shape of a bulk export's Observation, as msgspec Structs: the hot path's only reading of a line.

A line is decoded straight into these (msgspec checks the types in C and skips the fields not named
here), without building orjson's dict and subscripting it. A line of another shape fails to decode
(`NOT_COMMON`) or decodes with something the fast reading does not judge; either way it is read again
the general way, which says what is wrong with it. So the types here only decide which lines go fast,
never what a line means: observation.py says how the two readings relate.
"""

from typing import Annotated, Literal

import msgspec
import orjson
from msgspec import DecodeError, Struct, ValidationError, json

# The Structs are `gc=False`, so the garbage collector does not track them: safe because they hold only
# strings, numbers and lists of such Structs, and so can never be part of a reference cycle.
# A field typed `None` must be absent (or null): what it would hold is for the general reading to judge.

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class Coding(Struct, gc=False):
    system: str | None = None
    code: str | None = None


class Concept(Struct, gc=False):
    coding: list[Coding] = []
    text: str | None = None


class CodedConcept(Struct, gc=False):
    coding: Annotated[list[Coding], msgspec.Meta(min_length=1)]


class Quantity(Struct, gc=False):
    value: int | float
    unit: str | None = None
    code: str | None = None
    comparator: None = None


class Bound(Struct, gc=False):
    value: int | float | None = None


class Range(Struct, gc=False):
    low: Bound | None = None
    high: Bound | None = None
    text: str | None = None


class Reference(Struct, gc=False):
    reference: NonEmpty
    identifier: None = None  # a subject's identifier outranks its reference


class Meta(Struct, gc=False):
    source: str | None = None


ABSENT = msgspec.Raw(b"")


class CommonObservation(Struct, gc=False):
    resourceType: Literal["Observation"]
    id: NonEmpty
    code: CodedConcept
    subject: Reference
    effectiveDateTime: str
    valueQuantity: Quantity
    meta: Meta | None = None
    status: str | None = None
    # Kept as sent (JSON text, ABSENT when not sent): a lab repeats them line after line, so they are
    # decoded once per spelling (`decode_repeated`), not on every line.
    category: msgspec.Raw = ABSENT
    referenceRange: msgspec.Raw = ABSENT
    interpretation: msgspec.Raw = ABSENT


class Repeated(Struct, gc=False):
    """A line's category, referenceRange and interpretation, decoded."""

    category: list[Concept] = []
    referenceRange: list[Range] = []
    interpretation: list[Concept] = []


# What a line or a parsed resource that is not of the common shape raises.
NOT_COMMON = (DecodeError, ValidationError, UnicodeDecodeError)

decode_line = json.Decoder(CommonObservation).decode
_concepts = json.Decoder(list[Concept]).decode
_ranges = json.Decoder(list[Range]).decode


def decode_repeated(category: bytes, ranges: bytes, interpretation: bytes) -> Repeated:
    """The parts kept as sent, decoded (b"" for a part not sent); raises NOT_COMMON if one is not of the
    common shape."""
    return Repeated(
        _concepts(category) if category else [],
        _ranges(ranges) if ranges else [],
        _concepts(interpretation) if interpretation else [],
    )


def from_dict(resource: object) -> CommonObservation:
    """A parsed resource (a Bundle's entry) in the common shape; raises NOT_COMMON if it is not."""
    # Through its JSON text, since the repeated parts are kept as text.
    try:
        text = orjson.dumps(resource)
    except orjson.JSONEncodeError as error:
        raise ValidationError(str(error)) from None
    return decode_line(text)
