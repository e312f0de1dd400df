"""Settings come from the environment through typed readers; production passes check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import EnvError, env_bool, env_database, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("Off", False), ("", False)]
)
def test_env_bool_reads_common_spellings(raw: str, expected: bool) -> None:
    assert env_bool("X", default=not expected, environ={"X": raw}) is expected


def test_env_bool_rejects_nonsense_naming_the_variable() -> None:
    with pytest.raises(EnvError, match="YIWANG_DEMO"):
        env_bool("YIWANG_DEMO", environ={"YIWANG_DEMO": "maybe"})


def test_env_int_and_list_have_defaults_and_reject_bad_values() -> None:
    assert env_int("N", 5, environ={}) == 5
    assert env_int("N", 5, environ={"N": "7"}) == 7
    with pytest.raises(EnvError):
        env_int("N", 5, environ={"N": "seven"})
    assert env_list("H", ["a"], environ={"H": " x, y ,,"}) == ["x", "y"]


def test_database_url_selects_postgresql_and_defaults_to_sqlite() -> None:
    pg = env_database(
        "DATABASE_URL", "sqlite:///x", environ={"DATABASE_URL": "postgres://u@h:5432/d"}
    )
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"]) == ("h", 5432, "d")
    assert env_database("DATABASE_URL", "sqlite:///tmp/x.db", environ={})["ENGINE"].endswith(
        "sqlite3"
    )


def test_a_malformed_database_url_is_refused() -> None:
    with pytest.raises(EnvError):
        env_database("DATABASE_URL", "", environ={"DATABASE_URL": "nonsense://"})


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "YIWANG_"))}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "p" * 20 + "r0dUct10n-s3cr3t-k3y-with-enough-entropy-!@#$%^&*()",
    "DJANGO_ALLOWED_HOSTS": "zwfw.example.gov.cn",
    "YIWANG_SM4_KEY": "00112233445566778899aabbccddeeff",
    "YIWANG_BLIND_INDEX_KEY": "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
    "YIWANG_LEDGER_SM2_PRIVATE_KEY": "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8",
    "DATABASE_URL": "sqlite:////tmp/yiwang-deploy-check.sqlite3",
}


def test_production_settings_pass_the_deploy_check() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = dict(PRODUCTION_ENV)
    env["DJANGO_SECRET_KEY"] = ""
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
