"""The common shape of a bulk export's Observation, as msgspec Structs: the hot path's only reading of a line.

A line is decoded straight into these (msgspec checks the types in C and skips the fields not named
here), without building orjson's dict and subscripting it. A line of another shape fails to decode
(`NOT_COMMON`) or decodes with something the fast reading does not judge; either way it is read again
the general way, which says what is wrong with it. So the types here only decide which lines go fast,
never what a line means: observation.py says how the two readings relate.
"""

from typing import Any

from msgspec import DecodeError, Struct, ValidationError, convert, json

# The Structs are `gc=False`, so the garbage collector does not track them: safe because they hold only
# strings, numbers and lists of such Structs, and so can never be part of a reference cycle.


class Coding(Struct, gc=False):
    system: str | None = None
    code: str | None = None


class Concept(Struct, gc=False):
    coding: list[Coding] = []
    text: str | None = None


class Quantity(Struct, gc=False):
    value: int | float | None = None
    unit: str | None = None
    code: str | None = None
    comparator: str | None = None


class Bound(Struct, gc=False):
    value: int | float | None = None


class Range(Struct, gc=False):
    low: Bound | None = None
    high: Bound | None = None
    text: str | None = None


class Reference(Struct, gc=False):
    reference: str | None = None
    identifier: Any = None  # a subject's identifier outranks its reference


class Meta(Struct, gc=False):
    source: str | None = None


class CommonObservation(Struct, gc=False):
    resourceType: str
    id: str | None = None
    meta: Meta | None = None
    status: str | None = None
    category: list[Concept] = []
    code: Concept | None = None
    subject: Reference | None = None
    effectiveDateTime: str | None = None
    valueQuantity: Quantity | None = None
    referenceRange: list[Range] = []
    interpretation: list[Concept] = []


# What a line or a parsed resource that is not of the common shape raises.
NOT_COMMON = (DecodeError, ValidationError, UnicodeDecodeError)

decode_line = json.Decoder(CommonObservation).decode


def from_dict(resource: object) -> CommonObservation:
    """A parsed resource (a Bundle's entry) in the common shape; raises NOT_COMMON if it is not."""
    return convert(resource, CommonObservation)
