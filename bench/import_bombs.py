"""What hostile uploads cost the worker: decompression bombs and files of millions of bad rows.

    .venv/bin/python bench/import_bombs.py [--tree PATH] [--only NAME,...] [--memory-gb 6] [--timeout 300]

One JSON line. Each bomb (tests/observations/bombs.py makes them) is imported the way the worker does it
(`run_import_file`), in a fresh process on a throw-away SQLite database, capped at --memory-gb of address
space and --timeout seconds; then its error report is downloaded in another fresh process. For each: the
file's size, the import's seconds, the process's memory before the import and at its peak (MB), the
batch's status and refused count, the problem rows stored, and the report's seconds, peak and size.
`--tree` runs another checkout's code (e.g. an export of main) on the same files, for a before/after.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from scratch import configure

ROOT = Path(__file__).resolve().parent.parent
ID_NUMBER = "110101199001011234"


def bombs() -> dict[str, Callable[[], tuple[str, bytes]]]:
    """name -> a function making (file name, bytes)."""
    sys.path.insert(0, str(ROOT))
    from tests.observations import bombs as b

    def rows(count: int) -> Callable[[], tuple[str, bytes]]:
        return lambda: ("rows.xlsx", b.workbook(*b.repeated_rows(count, b.glucose_cells(ID_NUMBER))))

    return {
        "xlsx_2m_bad_rows": rows(2_000_000),
        "xlsx_3m_styled_empty_rows": lambda: (
            "styled.xlsx",
            b.workbook(b.styled_empty_rows(3_000_000, dimension=False), b.header_only_strings()),
        ),
        "xlsx_500mb_shared_string": lambda: (
            "sst.xlsx",
            b.workbook(b.repeated_rows(1, ["x"])[0], b.one_long_string(500)),
        ),
        "xlsx_declares_3gb": lambda: (
            "declares.xlsx",
            b.declaring(b.workbook(*b.repeated_rows(10, b.glucose_cells(ID_NUMBER))), b.SHEET, 3 << 30),
        ),
        "xlsx_billion_laughs": lambda: ("laughs.xlsx", b.workbook(b.laughs())),
        "xlsx_200k_rows_at_xfd": lambda: (
            "xfd.xlsx",
            b.workbook(b.far_right_rows(200_000), b.header_only_strings()),
        ),
        "zip_200k_members": lambda: ("members.xlsx", b.many_members(200_000)),
        "csv_one_row_of_50m_fields": lambda: (
            "fields.csv",
            "身份证号,检查项目\n".encode() + b"," * 50_000_000 + b"\n",
        ),
        "ndjson_5m_bad_lines": lambda: ("lines.ndjson", b"{}\n" * 5_000_000),
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_setup() -> dict[str, object]:
    from django.core.management import call_command

    from careloop.accounts.models import Organization, User

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bombs", code="bomb")
    User.objects.create_user("bomb-nurse", password="x", organization=organization, role="nurse")
    return {}


def child_import(path: Path) -> dict[str, object]:
    from careloop.accounts.models import Organization, User
    from careloop.observations.actions import stored_path
    from careloop.observations.models import ImportBatch
    from careloop.observations.tasks import run_import_file

    organization = Organization.objects.get(code="bomb")
    batch = ImportBatch.objects.create(
        organization=organization,
        kind="xlsx" if path.suffix == ".xlsx" else "csv",
        filename=path.name,
        started_by=User.objects.get(username="bomb-nurse"),
    )
    stored = stored_path(batch)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(path.read_bytes())
    before = current_mb()
    started = time.perf_counter()
    try:
        run_import_file.call(batch.pk, "BOMB", {})
        outcome = "ok"
    except MemoryError:
        outcome = "MemoryError"
    except Exception as error:  # the figure is what happened, whatever it was
        outcome = f"{type(error).__name__}: {str(error)[:120]}"
    seconds = time.perf_counter() - started
    batch.refresh_from_db()
    first = batch.problems.first()
    return {
        "batch": batch.pk,
        "outcome": outcome,
        "import_s": round(seconds, 1),
        "rss_before_mb": round(before),
        "rss_peak_mb": round(peak_mb()),
        "status": batch.status,
        "refused": batch.refused,
        "problem_rows": batch.problems.count(),
        "first_reason": first.reason[:160] if first else "",
    }


def child_report(batch_id: int) -> dict[str, object]:
    from django.test import RequestFactory

    from careloop.accounts.models import User
    from careloop.observations.views.imports import import_problems_csv

    request = RequestFactory().get("/")
    request.user = User.objects.get(username="bomb-nurse")
    before = current_mb()
    started = time.perf_counter()
    response = import_problems_csv(request, batch_id)  # type: ignore[arg-type]
    size = sum(len(piece) for piece in response)
    return {
        "report_s": round(time.perf_counter() - started, 1),
        "report_rss_before_mb": round(before),
        "report_rss_peak_mb": round(peak_mb()),
        "report_bytes": size,
    }


def run_child(args: list[str], memory_gb: float, timeout: float) -> dict[str, object]:
    def cap() -> None:
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        done = subprocess.run(
            [sys.executable, __file__, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=cap,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": f"killed after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"outcome": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    result: dict[str, object] = json.loads(lines[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--only", default="")
    parser.add_argument("--memory-gb", type=float, default=6)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--child", nargs=3, metavar=("STEP", "VAR", "ARG"))
    options = parser.parse_args()
    if options.child:
        step, var, arg = options.child
        configure(
            f"sqlite:///{Path(var) / 'bench.sqlite3'}", var_dir=Path(var), tree=options.tree, migrate=False
        )
        steps = {"setup": lambda: child_setup(), "import": lambda: child_import(Path(arg))}
        result = steps.get(step, lambda: child_report(int(arg)))()
        print(json.dumps(result, ensure_ascii=False))
        return
    var = Path(tempfile.mkdtemp(prefix="careloop-bombs-"))
    tree = ["--tree", str(options.tree)]
    run_child([*tree, "--child", "setup", str(var), "-"], options.memory_gb, options.timeout)
    wanted = set(filter(None, options.only.split(",")))
    figures: dict[str, dict[str, object]] = {}
    for name, make in bombs().items():
        if wanted and name not in wanted:
            continue
        filename, data = make()
        path = var / filename
        path.write_bytes(data)
        result = {"file_kb": round(len(data) / 1024)}
        result |= run_child(
            [*tree, "--child", "import", str(var), str(path)], options.memory_gb, options.timeout
        )
        if isinstance(result.get("batch"), int) and result.get("problem_rows"):
            child = [*tree, "--child", "report", str(var), str(result["batch"])]
            result |= run_child(child, options.memory_gb, options.timeout)
        path.unlink()
        figures[name] = result
    print(json.dumps({"tree": str(options.tree), "bombs": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
