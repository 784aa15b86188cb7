"""Django's SQLite backend, with writers of one process taking turns in order.

SQLite allows one writer at a time. With IMMEDIATE transactions (settings.py) a second
writer waits in SQLite's busy handler, which polls with sleeps of up to 100 ms: under steady
load a waiter keeps waking just after someone else took the lock, and one unlucky request
can starve for tens of seconds. Here the threads of one server process queue on a lock
before BEGIN IMMEDIATE and hand it over the moment the previous transaction ends; only the
few processes (gunicorn workers, cron jobs) still meet in the busy handler."""

from __future__ import annotations

import sqlite3
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property

_writer = threading.Lock()


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self) -> int:  # type: ignore[override]
        """The library's real limit (32766 since SQLite 3.32), not Django 5.2's 999 of old
        SQLite: a bulk insert (the audit entries of a list response) stays one statement."""
        self.connection.ensure_connection()
        return int(self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    _holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if not _writer.acquire(timeout=timeout):
            raise OperationalError("database is locked (waited for another writer "
                                   f"in this process for {timeout:g} s)")
        self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in the stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
