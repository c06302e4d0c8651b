"""``load_config``: one merge of defaults, file, environment and command line that refuses what it cannot use."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlops.core.config import ConfigError
from mlops.monitoring.config import DEFAULTS_FILE, ENV_KEYS, Config, defaults, load_config

NO_ENV: dict[str, str] = {}


def load(
    path: Path | None = None, *, env: dict[str, str] | None = None, cli: dict[str, Any] | None = None, cwd: Path
) -> Config:
    return load_config(path, env=env or NO_ENV, overrides=cli or {}, cwd=cwd)


def config_file(tmp_path: Path, text: str, name: str = "monitor.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- precedence ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ((), None),
        (("file",), "from-file"),
        (("file", "env"), "from-env"),
        (("file", "env", "cli"), "from-cli"),
        (("env", "cli"), "from-cli"),
    ],
)
def test_precedence_cli_over_env_over_file_over_defaults(
    tmp_path: Path, layers: tuple[str, ...], expected: str | None
) -> None:
    """One key set at each level: the highest level present wins, so a CI flag can override a checked-in file."""
    path = config_file(tmp_path, "mlflow:\n  experiment_name: from-file\n") if "file" in layers else None
    env = {"MLFLOW_EXPERIMENT_NAME": "from-env"} if "env" in layers else None
    cli = {"mlflow.experiment_name": "from-cli"} if "cli" in layers else None
    assert load(path, env=env, cli=cli, cwd=tmp_path).mlflow.experiment_name == expected


def test_defaults_are_what_default_yaml_documents(tmp_path: Path) -> None:
    """With no layer at all, the Config mirrors default.yaml, the file users read."""
    config = load(cwd=tmp_path)
    assert config.fail_on == defaults()["fail_on"] == "error"
    assert config.files.max_bytes == defaults()["files"]["max_bytes"]
    assert config.mlflow.model_alias == defaults()["mlflow"]["model_alias"]
    assert config.workspace is None
    assert config.source == "defaults"


# --- paths -----------------------------------------------------------------------------------


def test_paths_in_a_file_are_relative_to_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config checked in beside its workspace must work from any current folder."""
    config_file(tmp_path, "workspace: ../ws\noutput: reports/monitor.txt\n", name="conf/sub/monitor.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path / "conf")
    config = load(Path("sub/monitor.yaml"), cwd=elsewhere)
    assert isinstance(config.workspace, Path)
    assert config.output is not None
    assert config.workspace.resolve() == (tmp_path / "conf" / "ws").resolve()
    assert config.output.resolve() == (tmp_path / "conf" / "sub" / "reports" / "monitor.txt").resolve()


@pytest.mark.parametrize("layer", ["env", "cli"])
def test_paths_from_env_and_command_line_are_relative_to_cwd(tmp_path: Path, layer: str) -> None:
    """Outside a file there is no file to be relative to; the current folder is what the user sees."""
    file = config_file(tmp_path, "workspace: file-ws\n", name="conf/monitor.yaml")
    env = {"MLOPS_WORKSPACE": "rel-ws"} if layer == "env" else None
    cli = {"workspace": "rel-ws"} if layer == "cli" else None
    config = load(file, env=env, cli=cli, cwd=tmp_path / "cwd")
    assert config.workspace == tmp_path / "cwd" / "rel-ws"


def test_absolute_paths_in_a_file_stay_absolute(tmp_path: Path) -> None:
    target = tmp_path / "abs" / "ws"
    file = config_file(tmp_path, f"workspace: {target}\n", name="conf/monitor.yaml")
    assert load(file, cwd=tmp_path).workspace == target


def test_unquoted_yaml_timestamp_with_offset_is_accepted(tmp_path: Path) -> None:
    """YAML turns an unquoted time into a datetime itself; it must still count as RFC 3339."""
    file = config_file(tmp_path, "as_of: 2026-11-20T12:05:00Z\n")
    assert load(file, cwd=tmp_path).as_of == datetime(2026, 11, 20, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "# nothing set yet\n", "\n\n"])
def test_an_empty_file_means_defaults(tmp_path: Path, text: str) -> None:
    """A freshly created config must not be an error."""
    file = config_file(tmp_path, text)
    assert load(file, cwd=tmp_path) == dataclasses.replace(load(cwd=tmp_path), source=str(file))


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ("worksapce: ws\n", "'worksapce'", "'workspace'"),
        ("fail-on: warning\n", "'fail-on'", "'fail_on'"),
        ("files:\n  max_age: 3\n", "'files.max_age'", "'files.max_age_hours'"),
        ("mlflow:\n  tracking_url: http://h\n", "'mlflow.tracking_url'", "'mlflow.tracking_uri'"),
    ],
)
def test_unknown_keys_are_refused_with_a_suggestion(tmp_path: Path, text: str, key: str, suggestion: str) -> None:
    """A typo that is silently ignored leaves a default in force; name it and the key that was meant."""
    file = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(file, cwd=tmp_path)
    message = str(info.value)
    assert message.startswith(f"{file}:")
    assert f"unknown key {key}" in message
    assert f"did you mean {suggestion}?" in message


def test_unknown_key_without_a_close_match_gets_no_guess(tmp_path: Path) -> None:
    file = config_file(tmp_path, "zzzzzz: 1\n")
    with pytest.raises(ConfigError, match=r"unknown key 'zzzzzz'$"):
        load(file, cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("files:\n  max_bytes: lots\n", "files.max_bytes", "a non-negative integer"),
        ("files:\n  max_bytes: -5\n", "files.max_bytes", "a non-negative integer"),
        ("files:\n  max_bytes: true\n", "files.max_bytes", "a non-negative integer"),
        ("files:\n  max_bytes: 1.5\n", "files.max_bytes", "a non-negative integer"),
        ("files:\n  warn_age_hours: -1\n", "files.warn_age_hours", "a non-negative number"),
        ("files:\n  max_age_hours: '26'\n", "files.max_age_hours", "a non-negative number"),
        ("files:\n  max_age_hours: .inf\n", "files.max_age_hours", "a non-negative number"),
        ("alerts:\n  window_hours: yes\n", "alerts.window_hours", "a non-negative number"),
        ("select: [1, 2]\n", "select", "a list of strings"),
        ("ignore: {MON1: true}\n", "ignore", "a list of strings"),
        ("workspace: [a, b]\n", "workspace", "a string"),
        ("mlflow:\n  model_name: 7\n", "mlflow.model_name", "a string"),
        ("files: 3\n", "files", "a mapping"),
        ("fail_on: critical\n", "fail_on", "one of warning, error"),
        ("format: xml\n", "format", "one of auto, text, json"),
        ("as_of: 2026-11-20T12:05:00\n", "as_of", "an RFC 3339 time"),
        ("as_of: '2026-11-20T12:05:00'\n", "as_of", "an RFC 3339 time"),
        (
            "as_of: 2026-11-20\n",
            "as_of",
            "an RFC 3339 time, got a date, 2026-11-20; write a time such as 2026-11-20T00:00:00Z",
        ),
        ("as_of: 9999-12-31T23:59:59Z\n", "as_of", "a time in the years 1970 to 8999 (UTC)"),
        ("drift:\n  since: 1969-12-31T23:59:59Z\n", "drift.since", "a time in the years 1970 to 8999 (UTC)"),
        ("alerts:\n  window_hours: 1000000000\n", "alerts.window_hours", "at most 876000 hours"),
        ("files:\n  max_age_hours: 876001\n", "files.max_age_hours", "at most 876000 hours"),
        ("files:\n  warn_age_hours: 1e8\n", "files.warn_age_hours", "at most 876000 hours"),  # 1e8: a number
        ("mlflow:\n  max_run_age_days: 100000\n", "mlflow.max_run_age_days", "at most 36500 days"),
        ("mlflow:\n  warn_run_age_days: 36500.5\n", "mlflow.warn_run_age_days", "at most 36500 days"),
        ("files:\n  baseline: null\n", "files.baseline", "a non-empty string"),
        ("files:\n  alerts: ''\n", "files.alerts", "a non-empty string"),
        ("files:\n  windows: ~\n", "files.windows", "a non-empty string"),
        ("files:\n  peers:\n", "files.peers", "a non-empty string"),
        ("mlflow:\n  model_alias: null\n", "mlflow.model_alias", "a non-empty string"),
        ("mlflow:\n  client: ''\n", "mlflow.client", "one of auto, rest"),
    ],
)
def test_wrong_values_in_a_file_name_the_file_and_key(tmp_path: Path, text: str, key: str, expected: str) -> None:
    """Every refusal says where (the file), what (the dotted key) and what would have been accepted."""
    file = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(file, cwd=tmp_path)
    message = str(info.value)
    assert message.startswith(f"{file}:")
    assert f"'{key}' must be {expected}" in message


@pytest.mark.parametrize(
    ("cli", "key"),
    [
        ({"files.max_bytes": "lots"}, "files.max_bytes"),
        ({"alerts.window_hours": -2}, "alerts.window_hours"),
        ({"fail_on": "sometimes"}, "fail_on"),
        ({"format": "yaml"}, "format"),
        ({"as_of": "2026-11-20T12:00:00"}, "as_of"),
        ({"fail_no": "warning"}, "fail_no"),
        ({"files.baseline": None}, "files.baseline"),
        ({"mlflow.model_alias": ""}, "mlflow.model_alias"),
    ],
)
def test_wrong_values_on_the_command_line_say_so(tmp_path: Path, cli: dict[str, Any], key: str) -> None:
    """Overrides have no file to name; the message must still say where the bad value came from."""
    with pytest.raises(ConfigError) as info:
        load(cli=cli, cwd=tmp_path)
    assert str(info.value).startswith("command line:")
    assert f"'{key}'" in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    """A YAML error without a line number in a long config is a guessing game."""
    file = config_file(tmp_path, "workspace: ws\nfail_on: error\n  format: text\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(file))}: not valid YAML at line 3$"):
        load(file, cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "kind"), [("- workspace\n- ws\n", "list"), ("just a string\n", "str"), ("42\n", "int")]
)
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, kind: str) -> None:
    file = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(file, cwd=tmp_path)
    assert str(info.value) == f"{file}: expected a mapping of keys at the top level, got {kind}"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(missing))}: config file not found$"):
        load(missing, cwd=tmp_path)


@pytest.mark.parametrize("kind", ["not-utf8", "folder"])
def test_an_unreadable_file_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "monitor.yaml"
    if kind == "folder":
        path.mkdir()
    else:
        path.write_bytes(b"workspace: caf\xe9\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: cannot read config file"):
        load(path, cwd=tmp_path)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"MLFLOW_TRACKING_INSECURE_TLS": "maybe"}, "MLFLOW_TRACKING_INSECURE_TLS"),
        ({"MLOPS_MODEL_ALIAS": "x", "MLFLOW_TRACKING_SERVER_CERT_PATH": "~nobody-at-all/ca.pem"},
         "MLFLOW_TRACKING_SERVER_CERT_PATH"),
    ],
)  # fmt: skip
def test_wrong_values_in_the_environment_name_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    """The user set a variable, not a dotted key: the message must name what to unset or fix."""
    with pytest.raises(ConfigError, match=rf"^environment \({variable}\): '{re.escape(ENV_KEYS[variable])}'"):
        load(env=env, cwd=tmp_path)


@pytest.mark.parametrize(
    "as_of", ["1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00", "8999-12-31T23:59:59Z", "8999-12-31T23:59:59+05:00"]
)
def test_the_edges_of_the_time_range_are_accepted(tmp_path: Path, as_of: str) -> None:
    config = load(cli={"as_of": as_of, "drift.since": as_of, "alerts.window_hours": 876000}, cwd=tmp_path)
    assert config.as_of == datetime.fromisoformat(as_of)


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"])
def test_a_valid_rfc_3339_time_out_of_range_is_called_out_of_range(tmp_path: Path, as_of: str) -> None:
    """``+01:00`` on the first day of year 1 is valid RFC 3339; calling it malformed sends the user hunting."""
    with pytest.raises(ConfigError) as info:
        load(cli={"as_of": as_of}, cwd=tmp_path)
    assert (
        str(info.value)
        == f"command line: 'as_of' must be a time in the years 1970 to 8999 (UTC), got str {as_of!r} (out of range)"
    )


def test_future_tolerance_accepts_fractional_seconds(tmp_path: Path) -> None:
    config = load(cli={"files.future_tolerance_seconds": 1.5}, cwd=tmp_path)
    assert config.files.future_tolerance_seconds == 1.5


# --- default.yaml documents itself ------------------------------------------------------------

KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?P<rest>.*)$")


def _dotted_keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        keys.add(prefix + key)
        if isinstance(value, dict):
            keys |= _dotted_keys(value, f"{prefix}{key}.")
    return keys


def test_every_key_in_default_yaml_has_a_comment() -> None:
    """default.yaml is the reference users read; a key without a comment is a key nobody can look up."""
    seen: set[str] = set()
    uncommented: list[str] = []
    parent = ""
    for line in DEFAULTS_FILE.read_text(encoding="utf-8").splitlines():
        match = KEY_LINE.match(line)
        if match is None:
            continue
        key = match["key"] if not match["indent"] else f"{parent}.{match['key']}"
        if not match["indent"]:
            parent = match["key"]
        seen.add(key)
        value = match["rest"].split("#", 1)[0].strip()
        if value and "#" not in match["rest"]:  # a section header's keys carry the comments
            uncommented.append(key)
    assert seen == _dotted_keys(defaults())  # the text parse saw exactly the keys YAML sees
    assert uncommented == []


# --- workspace locations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["s3://prod-bucket/monitoring", "s3://prod-bucket", "gs://bucket/a/b", "az://container/prefix",
     "abfs://container/prefix", "abfss://container/prefix"],
)  # fmt: skip
def test_object_storage_urls_are_kept_as_given(tmp_path: Path, url: str) -> None:
    """From a file, the environment or the command line alike: a URL is never made relative to a folder."""
    assert load(config_file(tmp_path, f"workspace: {url}\n"), cwd=tmp_path).workspace == url
    assert load(env={"MLOPS_WORKSPACE": url}, cwd=tmp_path).workspace == url
    assert load(cli={"workspace": url}, cwd=tmp_path).workspace == url


def test_a_file_url_is_a_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "my ws"
    config = load(cli={"workspace": folder.as_uri()}, cwd=Path("/"))
    assert config.workspace == folder


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/prefix", "holds no credentials"),
        ("s3://bucket/prefix?X-Amz-Signature=abcdef123456", "holds no credentials"),
        ("s3:///prefix", "needs a bucket"),
        ("s3://bucket/a/../b", "'.' and '..'"),
        ("https://example.com/ws", "https:// is no workspace scheme"),
        ("file://otherhost/ws", "names a local folder"),
        ("", "is empty"),
    ],
)
def test_unusable_workspace_urls_are_refused_without_echoing_secrets(tmp_path: Path, url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(cli={"workspace": url}, cwd=tmp_path)
    message = str(caught.value)
    assert expected in message and "'workspace'" in message
    for secret in ("wJalrXUtnFEMI", "abcdef123456"):
        assert secret not in message
