"""The audit trail on PostgreSQL: page-view appends from many connections, the locking path against the
plain insert; then the sealer's throughput at two sizes.

    .venv/bin/python bench/audit.py [--threads 8,32] [--seconds 5] [--sizes 10000,100000]

One JSON line. In a throw-away database on the local server (or BENCH_POSTGRES):
- appends: N threads, each on its own connection, append entries to one organization's trail as page views
  do, for a fixed time. "locking" is what a page view cost before issue 21: in one transaction lock the
  chain head (SELECT ... FOR UPDATE), insert the entry with its SHA-256 link, update the head; then save the
  session (SESSION_SAVE_EVERY_REQUEST). It runs as raw SQL, which favours it. "plain" is `audit.record`,
  the ORM's one INSERT. Entries/s over all threads and the p95 latency of one append.
- sealing: N unsealed entries (spread over 5 organizations), sealed by one full pass of the sealer (HMAC,
  seals written, a signed checkpoint); entries/s at two sizes, their ratio (1.0 = linear), and the anchor:
  writing the same N entries with bulk_create. Then a pass over the sealed table with nothing to seal (the
  cost of the periodic full sweep) and `careloop audit verify`'s rate.
"""

import argparse
import hashlib
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from scratch import configure, postgres_database

ROOT = Path(__file__).resolve().parent.parent
ORGANIZATIONS = 5


def make_old_tables() -> None:
    """The tables of the locking path as they were: the head row, and the entries with their links."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_head (chain bigint PRIMARY KEY, seq bigint NOT NULL, hash varchar(64))"
        )
        cursor.execute(
            "CREATE TABLE bench_old_entry (LIKE accounts_auditentry INCLUDING ALL, seq bigint NOT NULL, "
            "prev_hash varchar(64) NOT NULL, hash varchar(64) NOT NULL, UNIQUE (chain, seq))"
        )
        cursor.execute("INSERT INTO bench_head VALUES (1, 0, %s)", ["0" * 64])
        cursor.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "SELECT 'bench' || n, 'x', now() + interval '1 day' FROM generate_series(1, 200) n"
        )


def locking_append(cursor: Any, chain: int, session: str) -> None:
    """One page view's audit and session writes as they were before issue 21 (raw SQL)."""
    from django.db import transaction

    with transaction.atomic():
        cursor.execute("SELECT seq, hash FROM bench_head WHERE chain = %s FOR UPDATE", [chain])
        seq, prev = cursor.fetchone()
        detail = '{"section": "summary"}'
        link = hashlib.sha256(f"{prev}|{seq + 1}|patient.view|{detail}".encode()).hexdigest()
        cursor.execute(
            "INSERT INTO bench_old_entry (chain, seq, at, organization_id, actor_label, actor_role, action, "
            "object_type, object_id, patient_id, ip, request_id, detail, prev_hash, hash) VALUES "
            "(%s, %s, now(), %s, 'nurse1', 'nurse', 'patient.view', 'Patient', '42', 42, '10.0.0.8', "
            "'3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f', %s, %s, %s)",
            [chain, seq + 1, chain, detail, prev, link],
        )
        cursor.execute("UPDATE bench_head SET seq = %s, hash = %s WHERE chain = %s", [seq + 1, link, chain])
    with transaction.atomic():
        cursor.execute(
            "UPDATE django_session SET session_data = 'x', expire_date = now() + interval '30 minutes' "
            "WHERE session_key = %s",
            [session],
        )


def plain_append(chain: int) -> None:
    from careloop.accounts import audit

    audit.record("patient.view", organization_id=chain, patient_id=42, detail={"section": "summary"})


def appends(path: str, threads: int, seconds: float) -> dict[str, float]:
    from django.db import connection, connections

    from careloop.accounts import audit

    latencies: list[list[float]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads + 1)

    def run(slot: int) -> None:
        token = audit.set_context(audit.AuditContext(actor_label="nurse1", ip="10.0.0.8", request_id="bench"))
        try:
            cursor = connection.cursor()
            start.wait()
            deadline = time.perf_counter() + seconds
            while (began := time.perf_counter()) < deadline:
                if path == "locking":
                    locking_append(cursor, 1, f"bench{slot + 1}")
                else:
                    plain_append(1)
                latencies[slot].append(time.perf_counter() - began)
        finally:
            audit.reset_context(token)
            connections.close_all()

    workers = [threading.Thread(target=run, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    every = sorted(latency for slot in latencies for latency in slot)
    return {
        "entries_per_s": round(len(every) / elapsed),
        "p95_ms": round(every[int(len(every) * 0.95)] * 1000, 2),
        "median_ms": round(statistics.median(every) * 1000, 2),
    }


def fresh_entries(count: int) -> None:
    """`count` unsealed entries over ORGANIZATIONS chains, written by the database itself."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_auditentry (chain, at, organization_id, actor_label, actor_role, action, "
            "object_type, object_id, patient_id, ip, request_id, detail) "
            "SELECT 100 + n %% %s, now(), 100 + n %% %s, 'nurse' || n %% 50, 'nurse', 'patient.view', "
            "'Patient', (n %% 5000)::text, n %% 5000, '10.0.0.8', md5(n::text), "
            "jsonb_build_object('section', 'summary', 'n', n) FROM generate_series(1, %s) n",
            [ORGANIZATIONS, ORGANIZATIONS, count],
        )


def sealing(size: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from careloop.accounts import auditverify
    from careloop.accounts.auditseal import Sealer
    from careloop.accounts.models import AuditEntry

    # Each size starts from empty tables, with checkpoints of its own (the last size's would, rightly, read as
    # its chains rolled back).
    settings.AUDIT_CHECKPOINT_DIR = Path(tempfile.mkdtemp(prefix="careloop-bench-checkpoints-"))
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("TRUNCATE accounts_auditseal, accounts_auditentry")
        cursor.execute("SET session_replication_role = DEFAULT")
    anchor_started = time.perf_counter()
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(chain=100 + n % ORGANIZATIONS, at=timezone.now(),
                       organization_id=100 + n % ORGANIZATIONS, actor_label=f"nurse{n % 50}",
                       actor_role="nurse", action="patient.view", object_type="Patient",
                       object_id=str(n % 5000), patient_id=n % 5000, ip="10.0.0.8", request_id=f"{n:032x}",
                       detail={"section": "summary", "n": n})
            for n in range(size)
        ),
        batch_size=5000,
    )  # fmt: skip
    anchor = time.perf_counter() - anchor_started
    fresh_entries(size)  # the anchor's entries are sealed too: twice `size` in all
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_auditentry")
    started = time.perf_counter()
    result = Sealer().run_once(full_sweep=True, force_checkpoint=True)
    seconds = time.perf_counter() - started
    assert result.sealed == 2 * size, result
    started = time.perf_counter()
    assert Sealer().run_once(full_sweep=True).sealed == 0
    idle_sweep = time.perf_counter() - started
    started = time.perf_counter()
    verification = auditverify.verify()
    verify_seconds = time.perf_counter() - started
    assert verification.ok, [r.broken for r in verification.reports]
    return {
        "entries": 2 * size,
        "sealed_per_s": round(2 * size / seconds),
        "seconds": round(seconds, 2),
        "anchor_bulk_create_entries_per_s": round(size / anchor),
        "full_sweep_nothing_to_seal_s": round(idle_sweep, 3),
        "verify_entries_per_s": round(2 * size / verify_seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", default="8,32")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()
    with postgres_database(args.server, "careloop_bench_audit") as database_url:
        configure(database_url)
        make_old_tables()
        threads = [int(n) for n in args.threads.split(",")]
        append_figures = {}
        for n in threads:
            locking, plain = appends("locking", n, args.seconds), appends("plain", n, args.seconds)
            append_figures[str(n)] = {
                "locking": locking,
                "plain": plain,
                "throughput_ratio_plain_to_locking": round(
                    plain["entries_per_s"] / locking["entries_per_s"], 2
                ),
            }
        sizes = [int(s) for s in args.sizes.split(",")]
        seal_figures = {str(size): sealing(size) for size in sizes}
    largest, smallest = seal_figures[str(sizes[-1])], seal_figures[str(sizes[0])]
    print(
        json.dumps(
            {
                "benchmark": "audit_trail",
                "database": "postgresql",
                "append_unit": "entries/s over all threads; p95 of one append in ms",
                "append_seconds_per_run": args.seconds,
                "appends_by_threads": append_figures,
                "seal_unit": "entries sealed/s in one full pass (HMAC-SHA256, seals written, checkpoint)",
                "sealing_by_size": seal_figures,
                "sealing_rate_ratio_largest_to_smallest": round(
                    largest["sealed_per_s"] / smallest["sealed_per_s"], 3
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
