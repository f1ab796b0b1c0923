"""What the web servers write about a request: no query string, no Referer, no identifier in clear; and
`careloop serve`'s control socket is the installation's own, reachable by its owner only.

Both servers are run for real (gunicorn through `careloop serve`, and Django's runserver) on a free port
of the loopback interface; the request is one a careless bookmark would make.
"""

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from careloop.accounts.management.commands.serve import ACCESS_LOG_FORMAT, gunicorn_argv

ROOT = Path(__file__).resolve().parent.parent.parent
ID_NUMBER = "330108195804197028"
MOBILE = "18530207321"
PROBE = f"/patients/?q={ID_NUMBER}&page=1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def development_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "DJANGO_", "DATABASE_URL"))}
    env.update({"CARELOOP_DEBUG": "true", "CARELOOP_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"})
    return env


def request_until_served(port: int, deadline: float) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{PROBE}", headers={"Referer": f"http://127.0.0.1:{port}/?mobile={MOBILE}"}
    )
    while True:
        try:
            # login_required answers 302; urllib would follow it, which a log line of its own would show.
            opener = urllib.request.build_opener(NoRedirect)
            opener.open(request, timeout=5)
        except urllib.error.HTTPError:
            return  # 302 surfaces as an HTTPError once redirects are refused
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        else:
            return


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run_server(argv: list[str], env: dict[str, str], port: int, seen: dict[str, int] | None = None) -> str:
    """Start the server, make the probe request, stop it; what it wrote to stdout and stderr.

    `seen` gets the modes of the control socket and its directory while the server runs.
    """
    server = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        request_until_served(port, time.monotonic() + 30)
        time.sleep(0.5)  # the access line is written after the answer
        if seen is not None:
            run_dir = Path(env["CARELOOP_VAR_DIR"]) / "run"
            for path in (run_dir, run_dir / "gunicorn.ctl"):
                if path.exists():
                    seen[path.name] = stat.S_IMODE(path.stat().st_mode)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    return output


def test_access_log_format_has_the_path_but_no_query_string_or_referer():
    assert "%(U)s" in ACCESS_LOG_FORMAT
    for carries_query in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert carries_query not in ACCESS_LOG_FORMAT


def test_control_socket_can_be_left_out():
    argv = gunicorn_argv("127.0.0.1:8000", 2, None)
    assert "--no-control-socket" in argv and "--control-socket" not in argv


def test_gunicorn_logs_no_query_string_and_keeps_its_control_socket_private(tmp_path):
    port = free_port()
    argv = [sys.executable, "-m", "careloop.cli", "serve", "--no-collectstatic", "--workers", "1"]
    seen: dict[str, int] = {}
    output = run_server([*argv, "--bind", f"127.0.0.1:{port}"], development_env(tmp_path), port, seen)
    access = [line for line in output.splitlines() if '"GET /patients/' in line]
    assert access, output
    assert ID_NUMBER not in output and ID_NUMBER[:6] + "*" not in output
    assert "?q=" not in output and MOBILE not in output
    assert '"GET /patients/ HTTP/1.1" 302' in access[0]
    # The control socket lived in the installation's var dir, in a directory only its owner may enter.
    assert seen == {"run": 0o700, "gunicorn.ctl": 0o600}, output


def test_runserver_request_lines_go_through_the_redaction_filter(tmp_path):
    port = free_port()
    argv = [sys.executable, "-m", "careloop.cli", "runserver", "--noreload", f"127.0.0.1:{port}"]
    output = run_server(argv, development_env(tmp_path), port)
    assert "GET /patients/" in output, output
    assert ID_NUMBER not in output
    assert "3301**********7028" in output
