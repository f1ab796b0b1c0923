"""Fewer garbage collections while a batch job builds and drops many short-lived objects.

CPython starts a young collection every 700 new container objects. An import keeps a chunk's tens of
thousands of rows alive until it is merged, so each young collection walks them again and promotes them,
and older collections walk everything promoted. Raising the first threshold keeps collecting (reference
cycles are still freed) but seldom enough that the walks stop mattering. The thresholds are the process's
own, so they are raised once for all the batches running in it and put back when the last one ends.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# A young collection per 1,000,000 new objects instead of 700: an import's chunks come and go without
# one, where a lower threshold still walked the rows under way every chunk or two. An import makes no
# reference cycles (a test holds the parser to it), so its memory does not grow for lack of collections;
# cycles anything else makes are still freed, a million objects later.
BATCH_THRESHOLD = 1_000_000

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
