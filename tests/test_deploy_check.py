"""`careloop check --deploy` passes with the production configuration that docs/deploy.md describes."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        {
            "DATABASE_URL": "postgres://careloop@127.0.0.1:5432/careloop",
            "CARELOOP_SECRET_KEY": "k" * 20 + Fernet.generate_key().decode(),
            "CARELOOP_FIELD_KEYS": Fernet.generate_key().decode(),
            "CARELOOP_INDEX_KEY": Fernet.generate_key().decode(),
            "CARELOOP_ALLOWED_HOSTS": "careloop.example-hospital.cn",
            "CARELOOP_CSRF_TRUSTED_ORIGINS": "https://careloop.example-hospital.cn",
            "CARELOOP_HSTS_PRELOAD": "true",
            "CARELOOP_BEHIND_PROXY": "true",
            "CARELOOP_TRUSTED_PROXIES": "127.0.0.1",
            **overrides,
        }
    )
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "careloop.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_documented_production_configuration_passes_the_deployment_checks():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_malformed_field_key_is_reported_by_name():
    result = check_deploy(production_env(CARELOOP_FIELD_KEYS="not-a-key"))
    assert result.returncode != 0
    assert "careloop.E001" in result.stderr


def test_missing_secrets_stop_the_start_with_a_clear_message():
    env = production_env()
    del env["CARELOOP_SECRET_KEY"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "CARELOOP_SECRET_KEY" in result.stderr
    assert "docs/deploy.md" in result.stderr
    assert "Traceback" not in result.stderr
