"""Each contract file names its format and version; the reader knows which versions it reads."""

from __future__ import annotations

import json
from pathlib import Path

from mlops.contract import CURRENT, SCHEMAS, schema_name
from mlops.contract.reader import load_document
from tests.conftest import EXAMPLE


def test_every_current_version_has_its_schema_file() -> None:
    schemas = Path(__file__).resolve().parents[2] / "mlops" / "contract" / "schemas"
    for identifier, version in CURRENT.items():
        name = SCHEMAS[identifier, version]
        assert schema_name(identifier) == schema_name(identifier, version) == name
        assert (schemas / f"{name}.schema.json").is_file()


def test_a_version_this_code_does_not_know_is_named_with_those_it_reads(tmp_path: Path) -> None:
    data = json.loads((EXAMPLE / "workspace" / "alerts.json").read_text(encoding="utf-8"))
    data["schema_version"] = 2
    (tmp_path / "alerts.json").write_text(json.dumps(data), encoding="utf-8")
    doc = load_document(
        tmp_path / "alerts.json", root=tmp_path, shown="alerts.json", expect="mlops.alerts", max_bytes=10**6
    )
    assert doc.schema_errors == ("/schema_version: version 2 of mlops.alerts is not one this code reads (1)",)
    assert not doc.valid


def test_a_version_that_is_not_a_number_is_judged_by_the_current_schema(tmp_path: Path) -> None:
    data = json.loads((EXAMPLE / "workspace" / "alerts.json").read_text(encoding="utf-8"))
    data["schema_version"] = "1"
    (tmp_path / "alerts.json").write_text(json.dumps(data), encoding="utf-8")
    doc = load_document(
        tmp_path / "alerts.json", root=tmp_path, shown="alerts.json", expect="mlops.alerts", max_bytes=10**6
    )
    assert any(e.startswith("/schema_version") for e in doc.schema_errors)
    assert schema_name("mlops.alerts", True) == schema_name("mlops.alerts")  # a bool is no version number
