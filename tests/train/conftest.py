"""Fixtures for the training tests (the helpers behind them are in ``helpers.py``)."""
from pathlib import Path

import pytest

from .helpers import write_idx_files


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """A directory holding the four IDX files of a 200 + 50 image dataset (see helpers.py)."""
    return write_idx_files(tmp_path_factory.mktemp("tiny-idx"))
