"""`careloop mllp`: its options, the listener they build, and the system checks of its settings."""

import pytest
from django.core.management import CommandError

from careloop.observations.checks import mllp_exposure, mllp_settings_are_usable
from careloop.observations.management.commands.mllp import Command, listener
from careloop.observations.sources.hl7v2.limits import MIB, ListenerLimits
from tests.observations.certificates import Authority
from tests.test_deploy_check import check_deploy, production_env


def options(*args: str) -> dict[str, object]:
    return vars(Command().create_parser("careloop", "mllp").parse_args(args))


def test_help_lists_every_limit_and_the_tls_and_peer_options():
    text = Command().create_parser("careloop", "mllp").format_help()
    for option in (
        "--allow",
        "--tls-cert",
        "--tls-key",
        "--tls-client-ca",
        "--idle-timeout",
        "--frame-timeout",
        "--max-message-mb",
        "--max-segments",
        "--max-connections",
        "--max-buffered-mb",
    ):
        assert option in text


def test_defaults_come_from_the_settings(org):
    server = listener(options("--organization", org.code))
    assert server.limits == ListenerLimits()  # the documented defaults are the settings' defaults
    assert server.allowlist.open and server.tls_context is None
    assert (server.host, server.port) == ("127.0.0.1", 2575)


def test_options_build_the_listener_they_describe(org, tmp_path):
    hospital = Authority(tmp_path, "hospital")
    issued = hospital.issue("careloop.hospital", server=True)
    server = listener(
        options(
            "--organization", org.code,
            "--allow", "10.12.0.0/16",
            "--allow", "192.168.1.20",
            "--tls-cert", str(issued.cert),
            "--tls-key", str(issued.key),
            "--tls-client-ca", str(hospital.cert),
            "--idle-timeout", "20",
            "--frame-timeout", "5",
            "--max-message-mb", "0.5",
            "--max-connections", "8",
            "--max-buffered-mb", "16",
        )
    )  # fmt: skip
    assert server.limits == ListenerLimits(20, 5, MIB // 2, 8, 16 * MIB)
    assert str(server.allowlist) == "10.12.0.0/16, 192.168.1.20/32"
    assert server.tls_context is not None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--allow", "his.hospital.cn"], "is not an IP address or network"),
        (["--tls-cert", "/nonexistent.pem"], "both a certificate and its key"),
        (["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"], "cannot be used"),
        (["--max-message-mb", "100", "--max-buffered-mb", "64"], "max_buffered_bytes must be at least"),
        (["--idle-timeout", "0"], "idle_timeout must be positive"),
    ],
)
def test_an_unusable_option_stops_the_command_with_its_reason(org, arguments, message):
    with pytest.raises(CommandError, match=message):
        listener(options("--organization", org.code, *arguments))


def test_an_unknown_organization_stops_the_command(db):
    with pytest.raises(CommandError, match="no organization with code"):
        listener(options("--organization", "nowhere"))


@pytest.mark.parametrize(
    ("changes", "ids"),
    [
        ({}, []),  # the default: this machine only, nothing to say
        ({"MLLP_HOST": "0.0.0.0"}, ["careloop.mllp.W001", "careloop.mllp.W002"]),
        ({"MLLP_HOST": "0.0.0.0", "MLLP_ALLOWED_PEERS": ["10.12.0.0/16"]}, ["careloop.mllp.W002"]),
        (
            {
                "MLLP_HOST": "10.12.0.5",
                "MLLP_ALLOWED_PEERS": ["10.12.0.0/16"],
                "MLLP_TLS_CERT": "c",
                "MLLP_TLS_KEY": "k",
            },
            [],
        ),
    ],
)
def test_deploy_check_warns_of_a_listener_open_to_the_network(settings, changes, ids):
    for name, value in changes.items():
        setattr(settings, name, value)
    assert [message.id for message in mllp_exposure(None)] == ids


@pytest.mark.parametrize(
    ("changes", "ids"),
    [
        ({}, []),
        ({"MLLP_ALLOWED_PEERS": ["10.0.0.0/8", "his.hospital.cn"]}, ["careloop.mllp.E001"]),
        ({"MLLP_TLS_CERT": "server.pem"}, ["careloop.mllp.E002"]),
        ({"MLLP_TLS_CLIENT_CA": "ca.pem"}, ["careloop.mllp.E002"]),
        ({"MLLP_MAX_BUFFERED_MB": 1, "MLLP_MAX_MESSAGE_MB": 4}, ["careloop.mllp.E003"]),
        ({"MLLP_MAX_SEGMENTS": 0}, ["careloop.mllp.E003"]),
    ],
)
def test_settings_check_names_an_unusable_mllp_setting(settings, changes, ids):
    for name, value in changes.items():
        setattr(settings, name, value)
    assert [message.id for message in mllp_settings_are_usable(None)] == ids


def test_careloop_check_deploy_reports_an_open_listener_and_is_quiet_once_it_is_closed_to_strangers():
    exposed = check_deploy(production_env(CARELOOP_MLLP_HOST="0.0.0.0"))
    assert exposed.returncode != 0
    assert "careloop.mllp.W001" in exposed.stderr and "careloop.mllp.W002" in exposed.stderr
    fenced = check_deploy(
        production_env(CARELOOP_MLLP_HOST="0.0.0.0", CARELOOP_MLLP_ALLOWED_PEERS="10.12.0.0/16,10.13.0.7")
    )
    assert "careloop.mllp.W001" not in fenced.stderr + fenced.stdout
    assert "careloop.mllp.W002" in fenced.stderr
