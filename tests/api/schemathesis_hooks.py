"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

The fuzzer authenticates with one API token; a DELETE of that very token would revoke the
credentials mid-run and turn the rest of the run into 401s. Every other token id stays in play.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

OWN_TOKEN_ID = os.environ.get("YIWANG_ST_OWN_TOKEN_ID", "")


@schemathesis.hook
def filter_path_parameters(ctx: Any, path_parameters: dict[str, Any] | None) -> bool:
    if not path_parameters or "token_id" not in path_parameters:
        return True
    return str(path_parameters["token_id"]) != OWN_TOKEN_ID
