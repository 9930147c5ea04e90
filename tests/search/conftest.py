"""A small grid search writing into a temporary folder."""

import pytest
from grids import small_space

from npnn.search import SearchOptions


@pytest.fixture
def options(tmp_path):
    return SearchOptions(out=tmp_path / "search", space=small_space(), space_source="test-grid",
                         heartbeat_seconds=1, grace_seconds=3)
