"""Reading the next chunk of an import while the current one is written.

Parsing is Python work; merging is mostly waiting for the database, which releases the GIL. Running the
parser one or two chunks ahead in a thread lets the two overlap on a machine with more than one core.
Pure: no Django import. The iterable must not use the database (parsers never do).
"""

import queue
import threading
from collections.abc import Generator, Iterable

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def read_ahead[T](items: Iterable[T], depth: int = 2) -> Generator[T]:
    """The items of `items` in order, produced by a background thread up to `depth` items ahead.

    An exception raised while producing is raised here, at the item where it happened. Closing the
    iterator early (the consumer failed or stopped) stops the thread; a generator `items` is closed in
    that thread, when it ends or is stopped.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not offer(item):
                    return
        except BaseException as error:  # handed to the consumer, which raises it in its own thread
            offer(_Failed(error))
            return
        finally:
            # A generator is closed in the thread that ran it: its clean-up (a database connection of
            # that thread, say) must happen there.
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        offer(_DONE)

    thread = threading.Thread(target=produce, name="careloop-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]  # everything but the two markers came from `items`
    finally:
        stop.set()
        thread.join()
