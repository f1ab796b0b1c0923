import threading

import pytest

from careloop.observations.readahead import read_ahead


@pytest.mark.parametrize("count", [0, 1, 2, 3, 50])
def test_yields_every_item_in_order(count):
    assert list(read_ahead(iter(range(count)))) == list(range(count))


def test_items_are_produced_in_another_thread():
    def produce():
        for _ in range(3):
            yield threading.current_thread().name

    assert set(read_ahead(produce())) == {"careloop-read-ahead"}


def test_an_error_while_producing_is_raised_after_the_items_before_it():
    def produce():
        yield 1
        yield 2
        raise ValueError("line 3 is broken")

    seen = []
    with pytest.raises(ValueError, match="line 3 is broken"):
        for item in read_ahead(produce()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_stops_the_producer():
    produced = []

    def produce():
        for index in range(1000):
            produced.append(index)
            yield index

    items = read_ahead(produce(), depth=2)
    assert next(items) == 0
    items.close()
    assert len(produced) <= 5
    assert not any(t.name == "careloop-read-ahead" and t.is_alive() for t in threading.enumerate())


def test_a_generator_is_closed_in_the_thread_that_ran_it():
    closed_in = []

    def produce():
        try:
            yield 1
            yield 2
        finally:
            closed_in.append(threading.current_thread().name)

    assert list(read_ahead(produce())) == [1, 2]
    items = read_ahead(produce(), depth=1)
    next(items)
    items.close()
    assert closed_in == ["careloop-read-ahead", "careloop-read-ahead"]
