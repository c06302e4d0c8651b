"""The trainer's workspace may be a storage URL: its baseline and ``observe``'s windows go where the monitor reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.core.config import ConfigError
from mlops.training.config import load


def test_a_storage_url_is_kept_as_given(tmp_path: Path) -> None:
    url = "s3://acme-monitoring/shapes"
    config = tmp_path / "train.yaml"
    config.write_text(f"workspace: {url}\n")
    assert load(config, env={}, overrides={}, cwd=tmp_path)["workspace"] == url
    assert load(None, env={}, overrides={"workspace": f"{url}/"}, cwd=tmp_path)["workspace"] == url  # --workspace


def test_a_folder_stays_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "train.yaml"
    config.write_text("workspace: ws\n")
    assert load(config, env={}, overrides={}, cwd=tmp_path)["workspace"] == str(tmp_path / "conf" / "ws")
    assert load(None, env={}, overrides={}, cwd=tmp_path)["workspace"] == str(tmp_path / "runs" / "workspace")
    assert load(None, env={}, overrides={"workspace": "file:///srv/ws"}, cwd=tmp_path)["workspace"] == "/srv/ws"


@pytest.mark.parametrize(("value", "message"), [("ftp://host/ws", "no workspace scheme"), ("s3://", "needs a bucket")])
def test_a_url_nothing_reads_is_refused(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"command line: 'workspace': .*{message}"):
        load(None, env={}, overrides={"workspace": value}, cwd=tmp_path)
