"""Data-test fixtures: isolation from the real search path and a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from data_fakes import Handler, Server, isolate_data_lookup


@pytest.fixture(autouse=True)
def isolated_search_path(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the user's cache, $NPNN_DATA or the installed Debian files unless it asks."""
    isolate_data_lookup(tmp_path_factory.mktemp("isolated"), monkeypatch)


@pytest.fixture
def http_server() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 in a thread."""
    server = Server(("127.0.0.1", 0), Handler)
    server.files, server.cut = {}, set()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()
