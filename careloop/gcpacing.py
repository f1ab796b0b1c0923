"""Fewer garbage collections while a batch job builds and drops many short-lived objects.

CPython starts a young collection every 700 new container objects. An import keeps a chunk's tens of
thousands of rows alive until it is merged, so each young collection walks them again and promotes them,
and older collections walk everything promoted. That was 2 us of an import's 17 us per row (measured with
`gc.disable()`). Raising the first threshold keeps collecting (reference cycles are still freed) but
seldom enough that the walks stop mattering. The thresholds are the process's own, so they are raised
once for all the batches running in it and put back when the last one ends.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# A young collection per 50,000 new objects instead of 700: the import ran 1.12x faster (100 k rows),
# and as fast as with collection turned off.
BATCH_THRESHOLD = 50_000

_lock = threading.Lock()
_running = 0
_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the body with the young generation's threshold raised to BATCH_THRESHOLD (never lowered)."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            first, *older = _saved
            gc.set_threshold(max(first, BATCH_THRESHOLD), *older)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.set_threshold(*_saved)
