"""The monitor on the example config (``as_of`` pinned) and a private copy of its workspace."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, Outcome

RunMonitor = Callable[..., Outcome]


@pytest.fixture
def monitor(run_monitor: RunMonitor, workspace: Path) -> RunMonitor:
    """No run may show a traceback, whatever its exit code."""

    def run(*args: str | os.PathLike[str]) -> Outcome:
        outcome = run_monitor("--config", EXAMPLE_CONFIG, "--workspace", workspace, *args)
        assert "Traceback" not in outcome.text
        return outcome

    return run
