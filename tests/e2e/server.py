"""A live server for the browser journeys that shares the test's database connection.

Django's ``LiveServerTestCase`` (and pytest-django's ``live_server``) need ``transactional_db``:
the server thread sees committed rows only, so every test commits and the database is flushed
afterwards. The flush re-runs the ``post_migrate`` hooks (contenttypes, permissions and the
working-day calendar, ~8,000 rows) and the demo city must be seeded again: about 2 s per test.

Here the demo city is seeded and committed once per worker; each test then runs inside a
transaction that is rolled back (like ``django.test.TestCase``), and the server answers on the
*same* connection, so it sees the test's uncommitted rows and everything it writes disappears with
the rollback. What makes that safe:

- one request at a time (a lock around the WSGI application): a connection is not shared by two
  threads at once;
- the request threads never close the shared connection (no ``close_old_connections`` while the
  server runs, no ``connections.close_all()`` after a request);
- ``transaction.on_commit`` callbacks registered by a request run when the request ends, as if
  its transaction had committed (what ``TestCase.captureOnCommitCallbacks(execute=True)`` does).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core import signals
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.testcases import LiveServerThread
from django.test.utils import modify_settings

logger = logging.getLogger(__name__)


def _run_committed_callbacks(start: int) -> None:
    """Run the on_commit callbacks a request added after index ``start`` (not rolled back)."""
    connection = connections["default"]
    callbacks = connection.run_on_commit[start:]
    del connection.run_on_commit[start:]
    for _savepoints, callback, robust in callbacks:  # type: ignore[misc]  # 3-tuples since 4.2
        if robust:
            try:
                callback()
            except Exception:
                logger.exception("on_commit callback failed in the e2e server")
        else:
            callback()


class _OneRequestAtATime:
    """WSGI wrapper: serialise requests; run their on_commit callbacks when they end."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            start = len(connections["default"].run_on_commit)
            response = self.app(environ, start_response)
            try:
                body = list(response)  # streaming responses may read the database lazily
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
            _run_committed_callbacks(start)
            return body


class _SharedConnectionServer(ThreadedWSGIServer):
    def set_app(self, application: Any) -> None:
        super().set_app(_OneRequestAtATime(application))

    def _close_connections(self) -> None:
        """The connection belongs to the test: a finished request leaves it open."""


class _SharedConnectionThread(LiveServerThread):
    server_class = _SharedConnectionServer


class SharedConnectionLiveServer:
    """Serves the site on ``connection`` (the test's). ``start()``, ``url``, ``stop()``."""

    def __init__(self, connection: BaseDatabaseWrapper, host: str = "localhost") -> None:
        self.host = host
        self.connection = connection
        self._thread = _SharedConnectionThread(
            host, StaticFilesHandler, connections_override={"default": connection}
        )
        self._thread.daemon = True
        self._settings = modify_settings(ALLOWED_HOSTS={"append": host})

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._thread.port}"

    def start(self) -> None:
        self._settings.enable()
        self.connection.inc_thread_sharing()
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        self._thread.start()
        self._thread.is_ready.wait()
        if self._thread.error:
            error = self._thread.error
            self.stop()
            raise error

    def stop(self) -> None:
        self._thread.terminate()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        self.connection.dec_thread_sharing()
        self._settings.disable()
