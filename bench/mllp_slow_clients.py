"""Memory of the MLLP listener while many senders each hold an unfinished message open.

    .venv/bin/python bench/mllp_slow_clients.py [--clients 40] [--message-mb 9,3.9] [--hold 3] [--tree PATH]

For each message size: starts `mllp.serve` with its defaults (those of the tree under test) in a fresh
process on a free port, reads its resident memory (VmRSS), opens `--clients` connections that each send a
start block and that many megabytes of a message without ever sending its end, waits `--hold` seconds, and
reads the memory again (and the peak, VmHWM). It counts the connections the listener has closed by then.
One JSON line. `--tree /work/main` measures another checkout, for a before/after comparison on one machine.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START = b"\x0b"
LISTENER = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.WARNING, stream=sys.stderr)\n"
    "logging.getLogger('careloop.observations.sources.hl7v2.mllp').setLevel(logging.INFO)\n"
    "from careloop.observations.sources.hl7v2 import mllp\n"
    "mllp.serve('127.0.0.1', 0, lambda *message_and_peer: b'')\n"
)
MSH = b"MSH|^~\\&|LIS|HOSP-A|CARELOOP|CL|20240315103000||ORU^R01^ORU_R01|SLOW0001|P|2.5.1\r"


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def start_listener(tree: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", LISTENER],
        cwd=tree,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(tree)},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    found = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not found:
        process.kill()
        raise RuntimeError(f"the listener did not start: {line!r}")
    # The listener logs a line per closed connection; read them so its pipe never fills.
    threading.Thread(target=lambda: process.stderr and process.stderr.read(), daemon=True).start()
    return process, int(found.group(1))


def hold_open(port: int, size: int, connections: list[socket.socket]) -> None:
    """Connect and send a start block and `size` bytes of a message, never its end."""
    connection = socket.create_connection(("127.0.0.1", port))
    connections.append(connection)
    body = START + MSH + b"NTE|1||" + b"x" * size
    try:
        for i in range(0, len(body), 65536):
            connection.sendall(body[i : i + 65536])
    except OSError:
        pass  # closed by the listener


def closed(connection: socket.socket) -> bool:
    connection.setblocking(False)
    try:
        return connection.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def measure(tree: Path, clients: int, message_mb: float, hold: float) -> dict[str, Any]:
    process, port = start_listener(tree)
    try:
        time.sleep(0.5)
        before = memory_kb(process.pid)
        connections: list[socket.socket] = []
        senders = [
            threading.Thread(target=hold_open, args=(port, int(message_mb * 1024 * 1024), connections))
            for _ in range(clients)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(60)
        time.sleep(hold)
        after = memory_kb(process.pid)
        closed_count = sum(closed(c) for c in connections)
        for connection in connections:
            connection.close()
    finally:
        process.terminate()
        process.wait(30)
    return {
        "message_mb": message_mb,
        "rss_before_mb": round(before["VmRSS"] / 1024, 1),
        "rss_with_clients_mb": round(after["VmRSS"] / 1024, 1),
        "rss_added_mb": round((after["VmRSS"] - before["VmRSS"]) / 1024, 1),
        "rss_peak_mb": round(after["VmHWM"] / 1024, 1),
        "connections_closed_by_listener": closed_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--message-mb", default="9,3.9", help="sizes of the unfinished messages, MB")
    parser.add_argument("--hold", type=float, default=3.0, help="seconds to wait with the clients connected")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose listener is measured")
    args = parser.parse_args()
    runs = [measure(args.tree, args.clients, float(mb), args.hold) for mb in args.message_mb.split(",")]
    figures = {"bench": "mllp_slow_clients", "tree": str(args.tree), "clients": args.clients, "runs": runs}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
