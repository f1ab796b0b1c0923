"""The garbage collector's pace while batches run, and after."""

import gc
import threading

import pytest

from careloop.gcpacing import BATCH_THRESHOLD, fewer_collections


@pytest.fixture(autouse=True)
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raises_the_young_threshold_and_puts_it_back():
    with fewer_collections():
        assert gc.get_threshold() == (BATCH_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_puts_it_back_when_the_body_fails():
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError
    assert gc.get_threshold() == (700, 10, 10)


def test_never_lowers_a_higher_threshold():
    higher = BATCH_THRESHOLD + 1
    gc.set_threshold(higher, 5, 5)
    with fewer_collections():
        assert gc.get_threshold() == (higher, 5, 5)
    assert gc.get_threshold() == (higher, 5, 5)


def test_overlapping_batches_restore_only_when_the_last_ends():
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def other_batch():
        first_in.wait()
        with fewer_collections():
            pass
        seen.append(gc.get_threshold())
        second_done.set()

    thread = threading.Thread(target=other_batch)
    thread.start()
    with fewer_collections():
        first_in.set()
        second_done.wait(5)
        assert seen == [(BATCH_THRESHOLD, 10, 10)]  # the other batch ended, this one still runs
    thread.join()
    assert gc.get_threshold() == (700, 10, 10)
