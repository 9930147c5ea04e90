"""A small grid search writing into a temporary folder; a throw-away PostgreSQL server."""

import contextlib
import os

import postgres_server
import pytest
from grids import small_space

from npnn.search import SearchOptions


@pytest.fixture
def options(tmp_path):
    return SearchOptions(out=tmp_path / "search", space=small_space(), space_source="test-grid",
                         heartbeat_seconds=1, grace_seconds=3)


@pytest.fixture(scope="session")
def postgres_url():
    """An SQLAlchemy URL of a real PostgreSQL server started for this session (its `postgres`
    database). Without one the test skips, saying why, unless NPNN_REQUIRE_POSTGRES is set (CI)."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_server.server())
        except postgres_server.UnavailableError as error:
            reason = f"no PostgreSQL server for this test: {error}"
            if os.environ.get("NPNN_REQUIRE_POSTGRES"):
                pytest.fail(reason + "; NPNN_REQUIRE_POSTGRES is set, so the test may not skip")
            pytest.skip(reason)
        yield url


@pytest.fixture
def postgres_db(postgres_url):
    """The URL of a new, empty database on that server, dropped after the test: no study of
    another test is seen."""
    with postgres_server.database(postgres_url) as url:
        yield url
