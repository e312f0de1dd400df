"""Conformance of /open311/v2/ with the GeoReport v2 swagger file (schemathesis).

The live server answers the swagger of the Open311 community's schema-validation project
(``../shared/specs/open311-georeport-v2/swagger.json``) with every phase but stateful (the file
declares no links), every check, a fixed seed and 50 examples per operation (raise them with
``YIWANG_OPEN311_SCHEMATHESIS_EXAMPLES``, vary ``…_SEED``), as an app holding a valid
``api_key``. Passing means: no server error, every answer matches its documented schema, status
and content type, valid input is accepted, invalid input rejected, the ``api_key`` enforced.

Where the swagger file is wrong or incomplete, ``patched_swagger`` corrects it, and only there;
each correction says why (docs/hotline.md lists them):

1. ``jurisdiction_id`` is optional (the wiki: "only required if the endpoint serves multiple
   jurisdictions"); ours is the only value answered, another is 404.
2. ``response_format`` is ``json`` or ``xml`` (the wiki's two formats), not any string.
3. The error answers the wiki documents (400 bad input, 403 ``api_key``, 404 not found) and the
   file leaves out, in the wiki's error-list shape, are declared on every operation.
4. Fields the JSON Schemas shipped beside the swagger (``request.json``, ``service.json``,
   ``service-definition.json``) allow to be null are ``x-nullable``; ``account_id`` too.
5. ``tokens/{token_id}`` answers a list of one, as the wiki shows it (the file says an object).
6. ``status`` may list both values comma-separated, as its own description says.
7. ``POST requests`` takes the wiki's ``description`` (required here: a 12345 demand without
   words is nothing; at most 4,000 characters, no HTML, a letter or digit, exactly as
   ``submissions.DESCRIPTION_PATTERN`` says) and ``first_name``/``last_name`` (at most 40
   characters each) in the form body; ``service_code`` is one of our services; ``lat``/``long`` are WGS-84 ranges; ``address_string`` at most 255
   characters; ``attribute[type]`` replaces the file's bare ``attribute`` strings (the wiki's
   ``attribute[code]=value`` form; the region attribute is tested in test_open311.py);
   ``address_id`` is dropped (we have no address registry and refuse it).

Two rules span parameters and cannot be written in Swagger 2.0; the hooks below keep generated
*valid* requests inside them: ``lat`` and ``long`` come together, and a ``start_date`` …
``end_date`` window runs forward and spans at most 90 days. NUL characters are not generated:
the platform refuses them before routing (``NulCharacterMiddleware``, problem+json), which
tests/test_nul_characters.py covers.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SWAGGER = ROOT / "tests" / "specs" / "open311-georeport-v2" / "swagger.json"
SEED = int(os.environ.get("YIWANG_OPEN311_SCHEMATHESIS_SEED", "20261122"))
# A number of examples per operation, not a time budget: the same seed then gives the same run
# on a fast or a busy machine.
MAX_EXAMPLES = int(os.environ.get("YIWANG_OPEN311_SCHEMATHESIS_EXAMPLES", "50"))
NULLABLE = {
    "Service": ("description", "keywords", "group"),
    "ServiceAttribute": ("datatype_description", "order", "description"),
    "Request": (
        "status_notes",
        "service_name",
        "description",
        "agency_responsible",
        "service_notice",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ),
    "RequestResponse": ("service_notice", "account_id"),
}
ERRORS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
ERRORS = {
    "400": "bad input: the problems, each parameter named",
    "403": "api_key missing, wrong or revoked",
    "404": "unknown service, request, token, format or jurisdiction_id",
}


def patched_swagger(
    raw: dict[str, Any], *, jurisdiction: str, codes: list[str], number: str, description: str
) -> dict[str, Any]:
    """The swagger file with the corrections listed in the module docstring."""
    schema = copy.deepcopy(raw)
    parameters = schema["parameters"]
    parameters["jurisdiction_id"].update(required=False, enum=[jurisdiction])  # 1
    parameters["response_format"]["enum"] = ["json", "xml"]  # 2
    for operations in schema["paths"].values():  # 3
        for operation in operations.values():
            for status, meaning in ERRORS.items():
                answer = operation["responses"].setdefault(status, {"description": meaning})
                answer["schema"] = ERRORS_SCHEMA
    definitions = schema["definitions"]
    for name, fields in NULLABLE.items():  # 4
        for field in fields:
            definitions[name]["properties"][field]["x-nullable"] = True
    paths = schema["paths"]
    token = paths["/tokens/{token_id}.{response_format}"]["get"]
    token["responses"]["200"]["schema"] = {  # 5
        "type": "array",
        "items": {"$ref": "#/definitions/TokenResponse"},
    }
    listing = paths["/requests.{response_format}"]["get"]
    for parameter in listing["parameters"]:  # 6
        if parameter.get("name") == "status":
            del parameter["enum"]
            parameter["pattern"] = "^(open|closed)(,(open|closed))*$"
    post = paths["/requests.{response_format}"]["post"]  # 7
    post["parameters"] = [
        {"$ref": "#/parameters/response_format"},
        {"$ref": "#/parameters/jurisdiction_id"},
        {"name": "service_code", "in": "query", "required": True, "type": "string", "enum": codes},
        {"name": "lat", "in": "query", "type": "number", "minimum": -90, "maximum": 90},
        {"name": "long", "in": "query", "type": "number", "minimum": -180, "maximum": 180},
        {"name": "address_string", "in": "query", "type": "string", "maxLength": 255},
        {
            "name": "description",
            "in": "formData",
            "required": True,
            "type": "string",
            "maxLength": 4000,
            "pattern": description,
        },
        {"name": "first_name", "in": "formData", "type": "string", "maxLength": 40},
        {"name": "last_name", "in": "formData", "type": "string", "maxLength": 40},
        {
            "name": "attribute[type]",
            "in": "formData",
            "type": "string",
            "enum": ["", "consult", "help", "complaint", "report", "suggestion"],
        },
    ]
    # Not corrections: real values for the examples phase, so that it reaches real objects.
    for path, name in (
        ("/services/{service_code}.{response_format}", "service_code"),
        ("/request/{service_request_id}.{response_format}", "service_request_id"),
        ("/tokens/{token_id}.{response_format}", "token_id"),
    ):
        for parameter in paths[path]["get"]["parameters"]:
            if parameter.get("name") == name:
                parameter["x-example"] = codes[0] if name == "service_code" else number
    return schema


# --- hooks (loaded by the schemathesis process through SCHEMATHESIS_HOOKS) --------------------


def _w3c(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-.*[Tt].*", value):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.upper())
        return moment if moment.tzinfo is not None else None
    except ValueError:
        return None


def accepts_together(query: dict[str, Any] | None) -> bool:
    """Whether the cross-parameter rules hold: lat with long, a forward window of ≤ 90 days."""
    query = query or {}
    if ("lat" in query) != ("long" in query):
        return False
    start, end = _w3c(query.get("start_date")), _w3c(query.get("end_date"))
    if start is not None and end is not None:
        try:
            return dt.timedelta(0) <= end - start <= dt.timedelta(days=90)
        except OverflowError:
            return False
    return True


if os.environ.get("SCHEMATHESIS_HOOKS") == __name__:
    import schemathesis

    @schemathesis.hook
    def filter_case(context: Any, case: Any) -> bool:
        meta = getattr(case, "meta", None)
        positive = meta is None or meta.generation.mode.is_positive
        return not positive or accepts_together(case.query)


# --- the test ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_facade_survives_schemathesis_on_the_georeport_v2_swagger(live_server, tmp_path):
    from yiwang.hotline.models import Ticket
    from yiwang.hotline.open311.clients import create_api_client
    from yiwang.hotline.open311.resources import jurisdiction_id, offered_services
    from yiwang.hotline.open311.submissions import DESCRIPTION_PATTERN
    from yiwang.hotline.tests.factories import answered_ticket, make_hotline_cast, new_ticket

    assert SWAGGER.is_file(), f"the GeoReport v2 swagger file is expected at {SWAGGER}"
    cast = make_hotline_cast()
    answered_ticket(cast)
    number = new_ticket(cast).number
    client, key = create_api_client("schemathesis", "app")
    codes = [category.code for category in offered_services()]
    schema = patched_swagger(
        json.loads(SWAGGER.read_text()),
        jurisdiction=jurisdiction_id(),
        codes=codes,
        number=number,
        description=DESCRIPTION_PATTERN,
    )
    schema_path = tmp_path / "swagger.json"
    schema_path.write_text(json.dumps(schema, ensure_ascii=False))
    config = tmp_path / "schemathesis.toml"
    # No example database and no crash cache: every run is the seed's run, and nothing is
    # written to the working tree (cwd is the test's temporary directory).
    config.write_text(
        "\n".join(
            (
                "[auth.openapi.api_key]",
                f'api_key = "{key}"',
                "[generation]",
                "allow-x00 = false",
                'database = "none"',
                "[cache]",
                "enabled = false",
                "",
            )
        )
    )
    env = dict(os.environ, SCHEMATHESIS_HOOKS=__name__, PYTHONPATH=str(ROOT))
    result = subprocess.run(  # noqa: S603 - fixed command line
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            str(schema_path),
            "--url",
            f"{live_server.url}/open311/v2",
            "--phases",
            "examples,coverage,fuzzing",
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "1",
            "--no-color",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) > 200, output[-3000:]
    # Valid submissions got through: tickets of the schemathesis client, accepted, not dispatched.
    posted = Ticket.objects.filter(api_client=client)
    assert posted.count() > 10, output[-3000:]
    assert set(posted.values_list("status", flat=True)) == {"accepted"}
