"""The browser tests' live server must not share the test thread's database connection.

With Django's in-memory SQLite test database the live server's threads used the test
thread's connection object: a request served while the test thread was between
statements of its own (entering a transaction, a query of its assertions) ran on a
connection in the other thread's state, and one such race turned 15 browser tests red
in a row (on_commit() "in manual transaction management" from the audit log). The SQLite
test database is a file (settings.py), so each thread has its own connection, as in
production."""

from __future__ import annotations

import json
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_runs_on_the_servers_own_connection(live_server) -> None:  # type: ignore[no-untyped-def]
    server = urlsplit(live_server.url)
    http = HTTPConnection(server.hostname or "localhost", server.port, timeout=30)
    with CaptureQueriesContext(connection) as seen:
        http.request("GET", "/health")
        body = json.loads(http.getresponse().read())
    http.close()
    assert body == {"status": "ok", "database": "ok"}
    assert [q["sql"] for q in seen.captured_queries] == []

