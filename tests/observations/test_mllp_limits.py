"""The listener's limits as plain objects: deadlines, the shared buffer budget, the frame reader's bounds."""

import pytest

from careloop.observations.sources.hl7v2.framing import END, START, FrameReader
from careloop.observations.sources.hl7v2.limits import (
    BufferBudget,
    ConnectionClock,
    ListenerLimits,
    ReportThrottle,
)

LIMITS = ListenerLimits(idle_timeout=60, frame_timeout=30)


@pytest.mark.parametrize(
    ("events", "deadline"),
    [
        ([], (60, "idle")),  # from the connection
        ([("read", 10, 0, False)], (60, "idle")),  # noise outside frames moves nothing
        ([("read", 10, 0, True)], (40, "frame")),  # a frame started at 10
        ([("read", 10, 0, True), ("read", 25, 0, True)], (40, "frame")),  # more bytes do not move it
        ([("read", 10, 0, True), ("read", 25, 1, False)], (85, "idle")),  # finished at 25
        ([("read", 10, 0, True), ("read", 25, 1, False), ("answered", 27)], (87, "idle")),
        ([("read", 10, 0, True), ("read", 25, 1, True)], (55, "frame")),  # one ended, the next began
        ([("read", 10, 1, True), ("answered", 18)], (48, "frame")),  # handling time is not the sender's
    ],
)
def test_connection_clock(events, deadline):
    clock = ConnectionClock(LIMITS, now=0)
    for event in events:
        if event[0] == "read":
            _, now, completed, in_frame = event
            clock.read(now, completed=completed, in_frame=in_frame)
        else:
            clock.answered(event[1])
    assert clock.deadline() == deadline


@pytest.mark.parametrize(
    ("holds", "accepted", "used"),
    [
        ([("a", 60)], [True], 60),
        ([("a", 60), ("b", 40)], [True, True], 100),
        ([("a", 60), ("b", 41)], [True, False], 60),  # b would pass 100: refused, nothing changed
        ([("a", 60), ("a", 100)], [True, True], 100),  # growing one's own share
        ([("a", 60), ("b", 40), ("a", 10), ("b", 90)], [True, True, True, True], 100),  # a gave back
        ([("a", 60), ("b", 41), ("b", 30)], [True, False, True], 90),
    ],
)
def test_buffer_budget(holds, accepted, used):
    budget = BufferBudget(100)
    assert [budget.hold(owner, size) for owner, size in holds] == accepted
    assert budget.used == used


def test_buffer_budget_release_gives_back_what_an_owner_held():
    budget = BufferBudget(100)
    budget.hold("a", 70)
    budget.hold("b", 30)
    budget.release("a")
    budget.release("nobody")
    assert (budget.used, budget.holders) == (30, 1)
    assert budget.hold("c", 70)


@pytest.mark.parametrize(
    "changes",
    [
        {"idle_timeout": 0},
        {"frame_timeout": -1},
        {"max_message_bytes": 0},
        {"max_connections": 0},
        {"max_message_bytes": 2048, "max_buffered_bytes": 1024},
    ],
)
def test_limits_refuse_values_that_would_lock_the_listener(changes):
    with pytest.raises(ValueError):
        ListenerLimits(**changes)


@pytest.mark.parametrize(
    ("chunks", "buffered", "in_frame", "pending"),
    [
        ([b"noise"], 0, False, 0),
        ([START + b"abc"], 3, True, 3),
        ([START + b"abc" + END], 0, False, 0),
        ([START + b"a" * 900], 900, True, 900),
        ([START + b"a" * 1500], 1 + 1024, True, 1500),  # over the limit: the head (1024 here) and one byte
        ([START + b"a" * 1500, b"b" * 5000], 1 + 1024, True, 6500),
        ([START + b"a" * 1500, b"b" * 5000 + END], 0, False, 0),
    ],
)
def test_frame_reader_holds_no_more_than_its_limit(chunks, buffered, in_frame, pending, monkeypatch):
    monkeypatch.setattr("careloop.observations.sources.hl7v2.framing.HEAD_BYTES", 1024)
    reader = FrameReader(max_bytes=1000)
    for chunk in chunks:
        reader.feed(chunk)
    assert (reader.buffered, reader.in_frame, reader.pending) == (buffered, in_frame, pending)


@pytest.mark.parametrize(
    ("knocks", "reports"),
    [
        ([("a", 0)], [0]),
        ([("a", 0), ("a", 1), ("a", 2), ("a", 61)], [0, None, None, 2]),  # one line a minute, with the count
        ([("a", 0), ("b", 1), ("a", 2)], [0, 0, None]),  # each key on its own
        ([("a", 0), ("a", 60), ("a", 61)], [0, 0, None]),
    ],
)
def test_report_throttle(knocks, reports):
    throttle = ReportThrottle(interval=60)
    assert [throttle.report(key, now) for key, now in knocks] == reports


def test_report_throttle_forgets_quiet_keys_rather_than_grow_without_end():
    throttle = ReportThrottle(interval=60, max_keys=3)
    for n in range(3):
        throttle.report(n, now=0)
    throttle.report("new", now=100)  # the three old keys are past their interval: forgotten
    assert len(throttle._last) == 1
