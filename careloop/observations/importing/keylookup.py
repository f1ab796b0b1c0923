"""Looking up many rows by key at once: one query per few hundred keys, never one per key.

`KeyLookup` works on every database: keys go in IN lists of 900 (SQLite caps a statement's parameters,
999 in older builds). A store may give a faster one (postgres/keylookup.py); the domain steps take the
store's `lookup`.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet

IN_LIST_SIZE = 900


class KeyLookup:
    def filters(self, field: str, keys: Sequence[Any]) -> Iterator[dict[str, Any]]:
        """Filter keyword arguments selecting rows whose `field` is one of `keys`, one per query to run."""
        for start in range(0, len(keys), IN_LIST_SIZE):
            yield {f"{field}__in": keys[start : start + IN_LIST_SIZE]}

    def rows[Row](self, queryset: QuerySet[Any, Row]) -> list[Row]:
        """The rows of a `values_list` queryset."""
        return list(queryset)


IN_LISTS = KeyLookup()
