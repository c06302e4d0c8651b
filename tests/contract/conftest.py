"""What the contract's tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.contract import validate as validate_module
from mlops.contract.validate import load_schema


@pytest.fixture
def schema_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private schema folder; the cache is cleared on both sides so no test sees another's schemas."""
    load_schema.cache_clear()
    monkeypatch.setattr(validate_module, "SCHEMA_DIR", tmp_path)
    yield tmp_path
    load_schema.cache_clear()
