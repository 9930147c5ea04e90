"""`storage_lock`: one lock for all the workers of a study, on whatever machines they run.

Workers started at the same moment on a new study each find the grid missing; without a lock
each enqueues all of it, and the queue holds the grid once per worker. The lock lives where the
workers meet, in the database: PostgreSQL's advisory locks, MySQL's named locks, and for an
SQLite file (one machine) a file lock beside it.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy


@contextlib.contextmanager
def storage_lock(storage: Any, name: str) -> Iterator[None]:
    """Hold the lock `name` of `storage` (an Optuna RDBStorage) for the `with` block, waiting
    for another worker that holds it. Other databases take no lock (duplicates of a grid
    point are then skipped when they run, as before)."""
    dialect = storage.engine.dialect.name
    if dialect == "sqlite":
        with file_lock(storage.url):
            yield
    elif dialect == "postgresql":
        key = zlib.crc32(name.encode())  # advisory locks are keyed by a number
        # autocommit: no transaction left idle (and timed out by the server) while the lock is held
        with storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    elif dialect in ("mysql", "mariadb"):
        with storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sqlalchemy.text("SELECT GET_LOCK(:name, -1)"), {"name": name[:64]})
            try:
                yield
            finally:
                connection.execute(sqlalchemy.text("SELECT RELEASE_LOCK(:name)"), {"name": name[:64]})
    else:
        yield


def lock_path(url: str) -> str | None:
    """The lock file beside an SQLite database file, `<file>.lock` (None for one in memory)."""
    path = sqlalchemy.engine.make_url(url).database
    return None if not path or path == ":memory:" else f"{path}.lock"


@contextlib.contextmanager
def file_lock(url: str) -> Iterator[None]:
    """An exclusive lock on lock_path(url): SearchStorage takes it to take a waiting trial,
    enqueue_grid to enqueue the grid (none for an in-memory database)."""
    path = lock_path(url)
    if path is None:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
