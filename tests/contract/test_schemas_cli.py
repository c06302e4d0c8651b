"""The published schemas work with the real ``check-jsonschema`` CLI, offline, as producers and CI run it.

The package promises that ``check-jsonschema --schemafile`` accepts the schema files unchanged; these
tests run the CLI itself (a subprocess, as CI would), with every proxy pointed at a dead port so that
any attempt to fetch a schema over the network fails instead of passing by luck.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.validate import validate

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path("mlops/contract/schemas")
WORKSPACE = ROOT / "mlops" / "example" / "workspace"
EXAMPLES = {
    "window": sorted((WORKSPACE / "windows").glob("*.json")),
    "baseline": [WORKSPACE / "baseline.json"],
    "alerts": [WORKSPACE / "alerts.json"],
}
REQUIRED = {"window": "signals", "baseline": "dataset", "alerts": "alerts"}
DEAD_PROXY = "http://127.0.0.1:9"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def check_jsonschema(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **dict.fromkeys(PROXY_VARIABLES, DEAD_PROXY), "NO_PROXY": "", "no_proxy": ""}
    command = [sys.executable, "-m", "check_jsonschema", "--no-cache", "--color", "never", *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def schema_args(name: str) -> list[str]:
    """``--schemafile`` plus the ``--base-uri`` that makes the relative ``$ref`` resolve next to the file."""
    path = ROOT / SCHEMAS / f"{name}.v1.schema.json"
    return ["--schemafile", str(path), "--base-uri", path.as_uri()]


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_pass_as_documented(name: str) -> None:
    """The plain invocation from the repository root, exactly as a producer would type it."""
    result = check_jsonschema("--schemafile", SCHEMAS / f"{name}.v1.schema.json", *EXAMPLES[name])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_pass(name: str, tmp_path: Path) -> None:
    """Run from an unrelated folder, so nothing resolves by accident of the working directory."""
    result = check_jsonschema(*schema_args(name), *EXAMPLES[name], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_broken_copy_fails(name: str, tmp_path: Path) -> None:
    """A required key removed, top-level and nested: non-zero, and the output says which key."""
    data = json.loads(EXAMPLES[name][0].read_text(encoding="utf-8"))
    del data[REQUIRED[name]]
    del data["model"]["version"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = check_jsonschema(*schema_args(name), EXAMPLES[name][0], broken, cwd=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"'{REQUIRED[name]}' is a required property" in output
    assert "'version' is a required property" in output
    assert str(EXAMPLES[name][0]) not in output  # only the broken file is blamed


@pytest.mark.parametrize("path", sorted((ROOT / SCHEMAS).glob("*.schema.json")), ids=lambda p: p.name)
def test_schema_is_valid_under_its_metaschema(path: Path) -> None:
    """Each schema is valid draft 2020-12, checked against the metaschema bundled with the CLI."""
    result = check_jsonschema("--check-metaschema", path)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the CLI and validate() on the edge cases of the contract ----------------------------------

EDGES: list[Any] = [
    ("fraction-7-digits", ("generated_at",), "2026-11-20T12:00:00.1234567Z", True),
    ("offset-minus-zero", ("generated_at",), "2026-11-20T12:00:00-00:00", True),
    ("offset-half-hour", ("generated_at",), "2026-11-20T12:00:00.25+05:30", True),
    ("leap-day", ("generated_at",), "2024-02-29T00:00:00Z", True),
    ("naive", ("generated_at",), "2026-11-20T12:00:00", False),
    ("no-leap-day", ("generated_at",), "2023-02-29T00:00:00Z", False),
    ("february-30", ("generated_at",), "2026-02-30T12:00:00Z", False),
    ("hour-24", ("generated_at",), "2026-11-20T24:00:00Z", False),
    ("offset-24", ("generated_at",), "2026-11-20T12:00:00+24:00", False),
    ("leap-second", ("generated_at",), "2026-12-31T23:59:60Z", False),
    ("time-newline", ("alerts", 0, "raised_at"), "2026-11-20T12:00:00Z\n", False),
    ("version-leading-zero", ("model", "version"), "03", True),
    ("version-arabic-digit", ("model", "version"), "\u0663", False),
    ("version-empty", ("model", "version"), "", False),
    pytest.param(
        "version-newline",
        ("model", "version"),
        "3\n",
        False,
    ),
    pytest.param(
        "schema-version-float",
        ("schema_version",),
        1.0,
        True,
    ),
    ("id-128", ("alerts", 0, "id"), "i" * 128, True),
    ("id-129", ("alerts", 0, "id"), "i" * 129, False),
    ("source-256-accented", ("alerts", 0, "source"), "\u00e9" * 256, True),
    ("title-empty", ("alerts", 0, "title"), "", False),
]


def _edge_id(case: Any) -> str:
    return str(case.values[0] if hasattr(case, "values") else case[0])


@pytest.fixture(scope="module")
def cli_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One CLI run over every edge file (JSON output), mapping file name -> (instance, CLI said valid)."""
    folder = tmp_path_factory.mktemp("edges")
    instances: dict[str, Any] = {}
    for case in EDGES:
        label, at, value, _ = case.values if hasattr(case, "values") else case
        data = json.loads((WORKSPACE / "alerts.json").read_text(encoding="utf-8"))
        node = data
        for token in at[:-1]:
            node = node[token]
        node[at[-1]] = value
        (folder / f"{label}.json").write_text(json.dumps(data), encoding="utf-8")
        instances[label] = data
    result = check_jsonschema(*schema_args("alerts"), "-o", "json", *sorted(folder.iterdir()), cwd=folder)
    report = json.loads(result.stdout)
    assert report["parse_errors"] == []
    refused = {Path(error["filename"]).stem for error in report["errors"]}
    return {label: (data, label not in refused) for label, data in instances.items()}


@pytest.mark.parametrize(("label", "at", "value", "valid"), EDGES, ids=list(map(_edge_id, EDGES)))
def test_validate_agrees_with_the_cli(
    cli_verdicts: dict[str, Any], label: str, at: tuple[str | int, ...], value: Any, valid: bool
) -> None:
    """What CI accepts, the monitor accepts: date-time and ECMA-262 regexes are where they could part."""
    data, cli_valid = cli_verdicts[label]
    assert cli_valid is valid, "the CLI's verdict changed: revisit this case"
    assert (validate(data, "alerts.v1") == []) is valid
