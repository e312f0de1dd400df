"""While the database cannot serve, every request answers 503 with Retry-After — never 500.

No fakes: the errors come from real drivers. A connection to a closed local port (PostgreSQL) or
to a file that cannot be opened (SQLite) gives a real ``OperationalError``; a database switched
to read-only (``PRAGMA query_only`` / ``default_transaction_read_only``, as a standby during a
failover) refuses real writes; and on PostgreSQL the test client's own connection is pointed at a
closed port, which is what the application sees when the server is down (tests/crash does the
same to a live gunicorn with kill -9).
"""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    OperationalError,
    connection,
    connections,
)
from django.test import Client, RequestFactory

from config.api import on_database_unavailable
from config.errors import server_error
from yiwang.accounts import services
from yiwang.accounts.models import Person
from yiwang.accounts.permissions import REGISTER_PERSON
from yiwang.accounts.tests.factories import (
    PASSWORD,
    login_as,
    make_department,
    make_staff,
    random_id_number,
)
from yiwang.core.middleware import (
    DATABASE_RETRY_AFTER_SECONDS,
    DatabaseUnavailableMiddleware,
    is_database_unavailable,
)
from yiwang.core.problems import PROBLEM_CONTENT_TYPE

POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite is a file, not a server: there is no connection to lose. The PostgreSQL pass "
    "(DATABASE_URL=postgres://…) runs this; the read-only tests below cover SQLite.",
)


@contextmanager
def closed_port() -> Iterator[int]:
    """A local port that refuses connections: bound, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def real_outage_error() -> OperationalError:
    """The error Django raises when it cannot reach this test's database server."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    with closed_port() as port:
        if connection.vendor == "postgresql":
            settings_dict.update(PORT=port, OPTIONS={"connect_timeout": 2})
        else:
            settings_dict["NAME"] = "/nonexistent-directory/yiwang.sqlite3"
        unreachable = connections[DEFAULT_DB_ALIAS].__class__(settings_dict, alias="unreachable")
        try:
            unreachable.ensure_connection()
        except OperationalError as exc:
            return exc
        finally:
            unreachable.close()
    raise AssertionError("the unreachable database answered")


@pytest.fixture(scope="module")
def outage(django_db_blocker) -> OperationalError:
    with django_db_blocker.unblock():  # a connection attempt, to a server that is not there
        return real_outage_error()


def assert_api_503(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS) == "5"
    body = json.loads(response.content)
    assert (body["status"], body["code"]) == (503, "service_unavailable")


def assert_page_503(response) -> None:
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "5"
    assert "服务正在恢复" in html
    assert "建议 5 秒后重试" in html
    assert "site-nav" not in html  # the navigation would query the database again


# --- the pieces, with a real driver error ---------------------------------------------------------


def test_an_unreachable_database_counts_as_unavailable(outage) -> None:
    assert is_database_unavailable(outage)
    assert not is_database_unavailable(IntegrityError("duplicate key"))
    assert not is_database_unavailable(DatabaseError("syntax"))
    assert not is_database_unavailable(ValueError("bug"))
    assert not is_database_unavailable(None)


def test_the_middleware_answers_an_api_request_with_503_problem_json(outage) -> None:
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert_api_503(middleware.process_exception(RequestFactory().get("/api/v1/x"), outage))


def test_the_middleware_answers_a_page_request_with_the_503_page(outage) -> None:
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert_page_503(middleware.process_exception(RequestFactory().get("/cases/"), outage))


def test_the_middleware_leaves_other_errors_to_the_500_handler() -> None:
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/api/v1/x")
    assert middleware.process_exception(request, IntegrityError("duplicate")) is None
    assert middleware.process_exception(request, ValueError("bug")) is None


def test_the_api_handler_answers_503(outage) -> None:
    assert_api_503(on_database_unavailable(RequestFactory().post("/api/v1/x"), outage))


def test_the_500_handler_answers_503_for_an_outage_met_outside_a_view(outage) -> None:
    request = RequestFactory().get("/")
    try:
        raise outage  # Django calls handler500 while handling the exception
    except OperationalError:
        response = server_error(request)
    assert_page_503(response)
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


# --- through the whole stack ----------------------------------------------------------------------


@pytest.fixture
def clerk(db):
    return make_staff(make_department(region="330106000000"), capabilities=(REGISTER_PERSON,))


def register(client: Client, **headers: str):
    body = {"name": "王芳", "id_number": random_id_number(address_code="330106")}
    return client.post(
        "/api/v1/accounts/persons",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


@contextmanager
def read_only_database() -> Iterator[None]:
    """The database refuses writes, as a standby does before it is promoted."""
    on, off = (
        ("SET default_transaction_read_only = on", "SET default_transaction_read_only = off")
        if connection.vendor == "postgresql"
        else ("PRAGMA query_only = ON", "PRAGMA query_only = OFF")
    )
    with connection.cursor() as cursor:
        cursor.execute(on)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(off)


@pytest.mark.django_db(transaction=True)
def test_a_write_refused_by_a_read_only_database_answers_503(clerk) -> None:
    _token, plain = services.create_api_token(clerk, "counter", by=clerk)
    client = Client(raise_request_exception=False)
    signed_in = login_as(Client(raise_request_exception=False), clerk)
    with read_only_database():
        assert_api_503(register(client, HTTP_AUTHORIZATION=f"Bearer {plain}"))
        assert_api_503(register(signed_in))
        page = client.post("/accounts/login/", {"username": clerk.username, "password": "x"})
        assert_page_503(page)
    assert Person.objects.count() == 0
    assert register(client, HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 201


@contextmanager
def server_down() -> Iterator[None]:
    """This thread's connection now leads to a closed port: the server is down for us."""
    saved = connection.settings_dict["PORT"]
    with closed_port() as port:
        connection.close()
        connection.settings_dict["PORT"] = port
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["PORT"] = saved


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_while_the_server_is_down_api_and_pages_answer_503_and_then_recover(clerk) -> None:
    _token, plain = services.create_api_token(clerk, "counter", by=clerk)
    token = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    anonymous = Client(raise_request_exception=False)
    signed_in = login_as(Client(raise_request_exception=False), clerk)
    with server_down():
        assert_api_503(anonymous.get("/api/v1/health"))
        assert_api_503(register(anonymous, **token))
        assert_api_503(anonymous.get("/api/v1/accounts/me", **token))
        # The session is loaded by a middleware, before any view runs.
        assert_page_503(signed_in.get("/"))
        assert_page_503(
            anonymous.post("/accounts/login/", {"username": clerk.username, "password": PASSWORD})
        )
    assert anonymous.get("/api/v1/health").status_code == 200
    assert register(anonymous, **token).status_code == 201
    assert signed_in.get("/").status_code == 200
