"""Property-based API testing with schemathesis against our live OpenAPI description.

All four phases (examples, coverage, fuzzing, stateful), a fixed seed and a bounded time, as an
authenticated normal user (a citizen with an API token). Every check runs except
positive_data_acceptance (valid-looking ids of objects that do not exist, or are outside the
user's scope, rightly answer 404). Passing means: no server error, every response matches its
documented schema, status code, content type and headers, and invalid input is rejected.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from yiwang.accounts import services
from yiwang.accounts.tests.factories import make_citizen

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = 20261121
# Operations a citizen's token is rightly refused: creating tokens needs a browser session (a
# token may not mint tokens), registering walk-in applicants needs a counter clerk's capability,
# importing the catalogue is the system administrator's, simulating auto-approval rules is for
# approvers and the system administrator.
EXPECTED_REFUSALS = {
    "POST /api/v1/accounts/tokens",
    "POST /api/v1/accounts/persons",
    "POST /api/v1/catalog/import",
    "POST /api/v1/workflow/definitions/{key}/simulate",
    # The hotline agents' own tools; a citizen's token is refused (403).
    "GET /api/v1/hotline/suggestions",
    "GET /api/v1/hotline/callers/{phone}/tickets",
    "POST /api/v1/hotline/tickets",
}
MAX_SECONDS = int(os.environ.get("YIWANG_SCHEMATHESIS_SECONDS", "40"))


@pytest.mark.django_db(transaction=True)
def test_the_api_survives_schemathesis_as_a_normal_user(live_server) -> None:
    citizen = make_citizen()
    token, secret = services.create_api_token(citizen, "schemathesis")
    for n in range(3):  # tokens the stateful phase may find, read and revoke
        services.create_api_token(citizen, f"spare {n}")
    env = dict(
        os.environ,
        SCHEMATHESIS_HOOKS="tests.api.schemathesis_hooks",
        YIWANG_ST_OWN_TOKEN_ID=str(token.pk),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(  # noqa: S603 - fixed command line
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {secret}",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--seed",
            str(SEED),
            "--max-time",
            str(MAX_SECONDS),
            "--workers",
            "1",
            "--no-color",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS * 4,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert _operations_refusing_our_credentials(output) <= EXPECTED_REFUSALS, output[-3000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) > 100, output[-3000:]


def _operations_refusing_our_credentials(output: str) -> set[str]:
    """Operations schemathesis lists under its "Authentication failed" warning."""
    if "Authentication failed" not in output:
        return set()
    block = output.split("Authentication failed", 1)[1].split("💡", 1)[0]
    return {line.strip()[2:] for line in block.splitlines() if line.strip().startswith("- ")}
