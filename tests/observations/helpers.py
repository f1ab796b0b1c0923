"""Building result files for import tests; running MLLP listeners and talking to them."""

import datetime
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl
import pytest

from careloop.observations import catalogue
from careloop.observations.catalogue import Indicator
from careloop.observations.importing.django_store import COLUMNS
from careloop.observations.sources.hl7v2 import ack
from careloop.observations.sources.hl7v2.mllp import MllpServer
from careloop.observations.sources.hl7v2.peers import Peer
from careloop.observations.sources.tabular.template import template_headers


def address(server: MllpServer) -> tuple[str, int]:
    """Where a started MLLP listener listens."""
    assert server.address is not None
    return server.address


def indicator(code: str) -> Indicator:
    """The catalogue's indicator for a code the test knows is there."""
    found = catalogue.by_code(code)
    assert found is not None, code
    return found


def results_xlsx(rows: list[list[object]]) -> bytes:
    """An .xlsx in our template's layout with the given data rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(template_headers())
    for row in rows:
        sheet.append(row + [""] * (len(template_headers()) - len(row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def yearly_glucose_rows(
    id_number: str, name: str, values: list[float], first_year: int = 2021
) -> list[list[object]]:
    return [
        [
            id_number,
            "",
            name,
            "",
            "",
            "空腹血糖",
            value,
            "mmol/L",
            f"{first_year + i}-03-05 08:30",
            "3.9-6.1",
            "",
            f"R{first_year + i}",
        ]
        for i, value in enumerate(values)
    ]


CST = datetime.timezone(datetime.timedelta(hours=8))


def merge_row(patient_id: int, source_id: str, value: float, **changes: Any) -> tuple[Any, ...]:
    """A normalized glucose result as merge.merge_observations takes it (merge.COLUMNS order)."""
    base = {
        "patient_id": patient_id,
        "code": "1558-6",
        "value": value,
        "unit": "mmol/L",
        "comparator": "",
        "value_reported": str(value),
        "unit_reported": "mmol/L",
        "flag": "normal" if value < 6.1 else "high",
        "effective_at": datetime.datetime(
            2026, 3, 1, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        ),
        "status": "final",
        "source_kind": "hospital_system",
        "source_system": "LIS-A",
        "source_id": source_id,
        "report_id": None,
        "reference_range_reported": "3.9-6.1",
        "source_digest": None,
        **changes,
    }
    return tuple(base[name] for name in COLUMNS)


@contextmanager
def running(server: MllpServer) -> Iterator[MllpServer]:
    """The listener serving in a thread of its own until the block ends."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"signals": False})
    thread.start()
    assert server.ready.wait(5)
    try:
        yield server
    finally:
        server.stop()
        thread.join(10)
        assert not thread.is_alive()


class Recorder:
    """A handle that answers with the real ACK builder and keeps who sent what."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, Peer]] = []

    def __call__(self, message: bytes, peer: Peer) -> bytes:
        self.calls.append((message, peer))
        return ack.respond(message, lambda parsed: [])


def seconds_until_closed(connection: socket.socket, within: float = 4.0) -> float:
    """How long until the listener closes `connection`; fails if it stays open `within` seconds."""
    started = time.monotonic()
    connection.settimeout(within)
    try:
        while connection.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {within} s")
    return time.monotonic() - started


def wait_for(condition: Callable[[], bool], within: float = 3.0) -> None:
    """Until `condition()` holds; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def msa_code(answer: bytes) -> bytes:
    """MSA-1 of an ACK."""
    return next(s for s in answer.split(b"\r") if s.startswith(b"MSA")).split(b"|")[1]


@contextmanager
def importing_listener(organization: Any) -> Iterator[MllpServer]:
    """A started MLLP listener that imports every message into `organization`, as `careloop mllp` does."""
    from careloop.observations.management.commands.mllp import receive

    with running(MllpServer("127.0.0.1", 0, lambda raw, peer: receive(organization.pk, raw, peer))) as server:
        yield server
