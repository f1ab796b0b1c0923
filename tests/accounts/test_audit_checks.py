"""The audit settings: checked at start and by `check --deploy`; keys made by `careloop audit keygen`."""

import io
import json

import pytest
from django.core.management import call_command

from careloop.accounts import auditcheckpoint
from careloop.accounts.audit_checks import checkpoints_go_somewhere, proxies_are_named
from careloop.accounts.auditchain import parse_keys
from careloop.accounts.auditcheckpoint import private_key_from_text
from careloop.devkeys import development_keys
from tests.test_deploy_check import check_deploy, production_env


def test_a_proxy_without_trusted_proxies_is_warned_about(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = []
    assert [w.id for w in proxies_are_named(None)] == ["careloop.W031"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert proxies_are_named(None) == []


def test_checkpoints_written_nowhere_are_warned_about(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = None
    settings.AUDIT_CHECKPOINT_SYSLOG = ""
    assert [w.id for w in checkpoints_go_somewhere(None)] == ["careloop.W032"]
    settings.AUDIT_CHECKPOINT_SYSLOG = "udp://127.0.0.1:514"
    assert checkpoints_go_somewhere(None) == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "CARELOOP_TRUSTED_PROXIES",
            "proxy.local",
            "CARELOOP_TRUSTED_PROXIES: 'proxy.local' is not an IP network",
        ),
        (
            "CARELOOP_AUDIT_KEYS",
            "k1:short",
            "CARELOOP_AUDIT_KEYS: the secret of key 'k1' must be at least 32",
        ),
        (
            "CARELOOP_AUDIT_SIGNING_KEY",
            "not-a-key",
            "CARELOOP_AUDIT_SIGNING_KEY: the signing key must be 32 bytes",
        ),
        (
            "CARELOOP_AUDIT_CHECKPOINT_SYSLOG",
            "syslog.local",
            "CARELOOP_AUDIT_CHECKPOINT_SYSLOG: 'syslog.local' is not",
        ),
    ],
)
def test_an_unusable_audit_setting_stops_the_start_saying_which_and_why(variable, value, message):
    result = check_deploy(production_env(**{variable: value}))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_development_keys_gain_the_audit_keys_and_keep_the_others(tmp_path):
    path = tmp_path / "dev-keys.json"
    path.write_text(json.dumps({"secret_key": "s", "field_keys": ["f"], "index_key": "i"}))
    keys = development_keys(path)
    assert (keys["secret_key"], keys["field_keys"], keys["index_key"]) == ("s", ["f"], "i")
    assert parse_keys(keys["audit_keys"])[0].id == "dev1"
    assert private_key_from_text(keys["audit_signing_key"])
    assert development_keys(path) == keys == json.loads(path.read_text())
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_keygen_prints_keys_the_settings_accept_and_public_key_prints_the_configured_ones(settings):
    out = io.StringIO()
    call_command("audit", "keygen", stdout=out)
    lines = dict(line.lstrip("# ").split("=", 1) for line in out.getvalue().splitlines() if "=" in line)
    assert len(parse_keys(lines["CARELOOP_AUDIT_KEYS"])) == 1
    private = private_key_from_text(lines["CARELOOP_AUDIT_SIGNING_KEY"])
    assert (
        auditcheckpoint.public_key_text(private.public_key())
        == lines["CARELOOP_AUDIT_CHECKPOINT_PUBLIC_KEYS"]
    )
    settings.AUDIT_SIGNING_KEY = lines["CARELOOP_AUDIT_SIGNING_KEY"]
    out = io.StringIO()
    call_command("audit", "public-key", stdout=out)
    assert out.getvalue().strip().endswith(lines["CARELOOP_AUDIT_CHECKPOINT_PUBLIC_KEYS"])
