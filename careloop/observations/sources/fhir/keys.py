"""Where a FHIR resource is stored: its (source system, source id), so that importing twice changes nothing.

- source system: the resource's meta.source without its fragment (servers put a request id after '#'),
  else the caller's source system.
- source id: the resource's id, as its server assigned it; a corrected Observation keeps its id, hence
  its key.
- A resource without an id is known by its first identifier value. That value is the sender's business
  identifier, which may be made of a resident ID number or a phone number, so it is never stored as it
  is: its source id is `keyed_id`, a BLAKE2b keyed with the organization's index key, which nobody
  without the key can test a guess of an ID number against.
"""

import hashlib
from typing import Any

from careloop.observations.importing.parsed import because
from careloop.observations.sources.fhir.fields import FieldProblem

# The observation table's key columns hold this much (the pipeline cuts longer keys).
SOURCE_SYSTEM_LENGTH = 60
SOURCE_ID_LENGTH = 120
# How many meta.source texts a reader keeps resolved (a feed names a few, each thousands of times).
SYSTEMS_KEPT = 10_000


def keyed_id(hash_key: bytes, identifier: str) -> str:
    """The source id of a resource known only by an identifier value: "k-" and 24 hex digits."""
    return "k-" + hashlib.blake2b(identifier.encode(), digest_size=12, key=hash_key).hexdigest()


class SourceKeys:
    """The keys of one import's resources; remembers each meta.source's system."""

    def __init__(self, default_system: str, hash_key: bytes = b""):
        self.default_system = default_system
        self.hash_key = hash_key
        self.systems: dict[str | None, str] = {}  # meta.source -> source system

    def system_of(self, resource: dict[str, Any]) -> str:
        """meta.source without its fragment, else the caller's source system."""
        meta = resource.get("meta")
        if not meta:
            return self.default_system
        source = meta.get("source")
        system = self.systems.get(source)
        if system is None:
            system = (source or "").split("#", 1)[0] or self.default_system
            if len(self.systems) > SYSTEMS_KEPT:
                self.systems.clear()
            self.systems[source] = system
        return system

    def key_of(self, resource: dict[str, Any]) -> tuple[str, str]:
        """(source system, source id); a resource with neither an id nor an identifier is refused."""
        system = self.system_of(resource)
        source_id = resource.get("id")
        if source_id:
            return system, source_id
        for identifier in resource.get("identifier") or ():
            value = identifier.get("value")
            if value:
                return system, keyed_id(self.hash_key, str(value))
        reason = because("is missing, and there is no identifier to import it by")
        raise FieldProblem("id", "", reason, "missing")

    def stored_key(self, resource: object) -> tuple[str, str] | None:
        """The key under which this parsed line's one Observation result would be stored; None where the
        line may make no such result (not an Observation, no id of its own) or a key too long to store."""
        if type(resource) is not dict or resource.get("resourceType") != "Observation":
            return None
        source_id = resource.get("id")
        if type(source_id) is not str or not source_id or len(source_id) > SOURCE_ID_LENGTH:
            return None
        meta = resource.get("meta")
        if meta and (type(meta) is not dict or type(meta.get("source", "")) is not str):
            return None
        system = self.system_of(resource)
        if len(system) > SOURCE_SYSTEM_LENGTH:
            return None
        return system, source_id
