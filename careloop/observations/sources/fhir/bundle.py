"""A FHIR R4 Bundle (collection, transaction, batch, searchset) -> one ParseResult.

Two passes over the entries: the first registers every Patient and every DiagnosticReport's result list
under the entry's fullUrl (urn:uuid:... or a server URL) and its "Type/id", so the second pass resolves
an Observation's subject and report whatever the order of the entries. A transaction/batch entry whose
request is DELETE (or any entry without a resource) cannot be imported and is reported "unsupported".
"""

import datetime
from typing import Any

import orjson

from careloop.observations.importing.parsed import ParseResult, Problem, because
from careloop.observations.sources.fhir.dates import SHANGHAI
from careloop.observations.sources.fhir.mapper import ResourceMapper
from careloop.observations.sources.fhir.references import References

BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")


def parse_bundle(
    data: bytes | str | dict[str, Any],
    source_system: str,
    *,
    default_tz: datetime.tzinfo = SHANGHAI,
    references: References | None = None,
    source_kind: str = "hospital_system",
    hash_key: bytes = b"",
) -> ParseResult:
    """Map every entry of a Bundle; anything refused is a Problem located as "entry N" (1-based).

    `hash_key`: the organization's index key, for ids derived from identifiers (fhir/keys.py)."""
    out = ParseResult()
    if isinstance(data, dict):
        bundle = data
    else:
        try:
            bundle = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            reason = because("is not JSON: %(error)s", error=error)
            out.problems.append(Problem("document", "", "", reason, "malformed"))
            return out
    kind = bundle.get("resourceType") if type(bundle) is dict else None
    if kind != "Bundle":
        found = kind or type(bundle).__name__
        reason = because("expected a FHIR Bundle, got %(found)s", found=found)
        out.problems.append(Problem("document", "resourceType", str(found), reason, "invalid"))
        return out
    bundle_type = bundle.get("type")
    if bundle_type not in BUNDLE_TYPES:
        reason = because(
            "Bundle type %(type)s is not imported: only %(supported)s are",
            type=repr(bundle_type),
            supported=", ".join(BUNDLE_TYPES),
        )
        out.problems.append(Problem("document", "type", str(bundle_type or ""), reason, "unsupported"))
        return out
    mapper = ResourceMapper(source_system, default_tz, source_kind, references, hash_key)
    entries = bundle.get("entry")
    entries = [] if entries is None else entries
    if type(entries) is not list:
        out.problems.append(Problem("document", "entry", "", because("must be a list"), "malformed"))
        return out

    kept: list[tuple[str, dict[str, Any], str]] = []  # (where, resource, fullUrl) in the order to map them
    for number, entry in enumerate(entries, 1):
        where = f"entry {number}"
        if type(entry) is not dict:
            out.problems.append(Problem(where, "", "", because("is not a JSON object"), "malformed"))
            continue
        request = entry.get("request") or {}
        method = request.get("method") if type(request) is dict else None
        resource = entry.get("resource")
        if method == "DELETE" or resource is None:
            what = f"{method} {request.get('url', '')}".strip() if method else ""
            if method:
                reason = because("request %(method)s is not imported", method=method)
            else:
                reason = because("has no resource")
            out.problems.append(
                Problem(where, "request.method" if method else "resource", what, reason, "unsupported")
            )
            continue
        full_url = entry.get("fullUrl") or ""
        if type(resource) is dict and resource.get("resourceType") == "Patient":
            mapper.add(resource, where, out, full_url)  # first pass: Patients now, so references resolve
            continue
        kept.append((where, resource, full_url))
    # Reports before results, so each Observation learns the report it belongs to.
    kept.sort(key=lambda item: type(item[1]) is not dict or item[1].get("resourceType") != "DiagnosticReport")
    for where, resource, full_url in kept:
        mapper.add(resource, where, out, full_url)
    out.problems.extend(mapper.unsupported_problems())
    return out
