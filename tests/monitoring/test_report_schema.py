"""The JSON report is a published format: a schema beside the data contract's, stable keys, same inputs same bytes.

Driven through the README's entry point, since that is what CI jobs parse.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.validate import SCHEMA_DIR, validate
from tests.conftest import NoxMonitor, json_from
from tests.contract.test_validate import reference

ROOT = Path(__file__).resolve().parents[2]
MEASURED = frozenset({"seconds"})
"""Detail names that hold measurements (docs/report.md): the only values allowed to change between runs."""


def without_measurements(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for finding in doc["findings"]:
        for name in MEASURED & set(finding.get("details", {})):
            del finding["details"][name]
    return doc


@pytest.fixture(scope="module")
def example_runs(nox_monitor: NoxMonitor) -> list[dict[str, Any]]:
    runs = [nox_monitor("--example", "--format", "json") for _ in range(2)]
    assert all(r.code == 0 for r in runs), runs[0].text
    return [json_from(r) for r in runs]


def test_the_example_report_is_identical_across_runs(example_runs: list[dict[str, Any]]) -> None:
    first, second = map(without_measurements, example_runs)
    assert first == second
    timed = [f for f in example_runs[0]["findings"] if MEASURED & set(f.get("details", {}))]
    assert [f["check"] for f in timed] == ["MON302"], "the MLflow timing lives in details"
    assert not any(re.search(r"\d+\.\d+ s\b", f["message"]) for f in example_runs[0]["findings"])


def test_the_example_report_matches_the_published_schema(example_runs: list[dict[str, Any]]) -> None:
    doc = example_runs[0]
    assert validate(doc, "report.v1") == []
    assert list(reference("report.v1").iter_errors(doc)) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d["links"].update({"shapes-detector v3 in MLflow": "http://h/"}), "unexpected key"),
        (lambda d: d.update(exit_code=2), "is not one of"),
        (lambda d: d["findings"][0].update(severity="fatal"), "is not one of"),
        (lambda d: d["findings"][0].update(details={"psi": "high"}), "expected number"),
        (lambda d: d.pop("as_of"), "missing required key 'as_of'"),
    ],
)
def test_the_schema_refuses_what_consumers_cannot_rely_on(
    example_runs: list[dict[str, Any]], change: Any, complaint: str
) -> None:
    doc = copy.deepcopy(example_runs[0])
    change(doc)
    errors = validate(doc, "report.v1")
    assert any(complaint in e for e in errors), errors
    assert list(reference("report.v1").iter_errors(doc))


def test_links_have_stable_keys(nox_monitor: NoxMonitor) -> None:
    """Label text changes with model and version; a consumer's key must not."""
    done = nox_monitor(
        "--example", "--format", "json", "--set", "mlflow.tracking_uri=http://127.0.0.1:9", "--ignore", "MON3"
    )
    assert done.code == 0, done.text
    links = json_from(done)["links"]
    assert links == {"model_version": "http://127.0.0.1:9/#/models/shapes-detector/versions/3"}


def test_docs_list_every_field_of_the_schema() -> None:
    schema = json.loads((SCHEMA_DIR / "report.v1.schema.json").read_text(encoding="utf-8"))
    doc = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    fields = [*schema["properties"], *schema["properties"]["findings"]["items"]["properties"]]
    missing = [name for name in fields if f"`{name}`" not in doc]
    assert not missing, f"docs/report.md does not describe {missing}"
    assert "report.v1.schema.json" in doc
