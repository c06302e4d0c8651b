"""The command line end to end through ``main([...])``: what a CI job or an operator sees and gets back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops.monitoring import cli
from mlops.monitoring.checks.base import REGISTRY
from mlops.monitoring.config import ENV_KEYS
from tests.conftest import Outcome, finding, report

RunMonitor = Callable[..., Outcome]
ALL_IDS = {c.id for c in REGISTRY}
ENV_CANARY = "canary-pass-123"
URI_CANARY = "canary-uri-456"


def write_config(path: Path, workspace: str | Path, **extra: str) -> Path:
    """A config file pinned to the example's as_of, so that the verdict does not depend on today."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"workspace: {json.dumps(str(workspace))}", 'as_of: "2026-11-20T12:05:00Z"']
    lines += [f"{key}: {json.dumps(value)}" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the example and the report formats --------------------------------------------------------


def test_example_is_healthy_lists_every_check_and_warns(run_monitor: RunMonitor) -> None:
    """The bundled example is the demo: it must pass, show every check, and show what a warning looks like."""
    r = run_monitor("--example")
    assert r.code == 0, r.text
    assert r.err == ""
    for check_id in ALL_IDS:
        assert check_id in r.out
    assert "WARN" in r.out
    assert "healthy" in r.out
    assert "Traceback" not in r.text


def test_json_report_parses_with_schema_counts_and_status(monitor: RunMonitor) -> None:
    """CI parses this document: its identity, counts and verdict must agree with the exit code."""
    r = monitor("--format", "json")
    assert r.code == 0, r.text
    doc = report(r)
    assert doc["schema"] == "mlops.report"
    assert doc["schema_version"] == 1
    assert doc["status"] == "ok"
    assert doc["exit_code"] == r.code
    assert doc["as_of"] == "2026-11-20T12:05:00+00:00"
    assert {f["check"] for f in doc["findings"]} == ALL_IDS
    assert sum(doc["counts"].values()) == len(doc["findings"])
    assert doc["counts"]["warning"] >= 1
    assert doc["counts"]["error"] == 0


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_file_receives_the_report_and_stdout_stays_empty(monitor: RunMonitor, tmp_path: Path, fmt: str) -> None:
    """``--output`` is for CI artifacts: the report goes to the file and nowhere else."""
    target = tmp_path / f"report.{fmt}"
    r = monitor("--format", fmt, "--output", target)
    assert r.code == 0, r.text
    assert r.out == ""
    assert r.err == ""
    written = target.read_text(encoding="utf-8")
    assert "MON301" in written
    if fmt == "json":
        assert json.loads(written)["schema"] == "mlops.report"


def test_output_to_a_missing_folder_is_a_usage_error_naming_the_path(monitor: RunMonitor, tmp_path: Path) -> None:
    """A report that cannot be written must not pass silently: exit 2 and say where it failed."""
    target = tmp_path / "no-such-folder" / "report.txt"
    r = monitor("--output", target)
    assert r.code == 2
    assert str(target) in r.err
    assert r.out == ""
    assert not target.parent.exists()


@pytest.mark.parametrize(("fail_on", "code", "status"), [("warning", 1, "failed"), ("error", 0, "ok")])
def test_fail_on_sets_the_threshold(monitor: RunMonitor, fail_on: str, code: int, status: str) -> None:
    """The example has warnings and no errors, so the threshold alone decides the exit code."""
    r = monitor("--fail-on", fail_on, "--format", "json")
    assert r.code == code
    assert report(r)["status"] == status
    assert report(r)["fail_on"] == fail_on


# --- where the configuration comes from --------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("--set", "workspace="), ("--as-of", "2026-11-20T12:05:00Z")])
def test_no_config_anywhere_is_a_usage_error_with_a_hint(run_monitor: RunMonitor, args: tuple[str, ...]) -> None:
    """A first run with nothing configured should point at the example, not at a stack trace."""
    r = run_monitor(*args)
    assert r.code == 2
    assert "--example" in r.err
    assert r.out == ""
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    ("sources", "winner"),
    [
        (("cwd",), "cwd"),
        (("env", "cwd"), "env"),
        (("flag", "env", "cwd"), "flag"),
    ],
)
def test_config_discovery_order(
    run_monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sources: tuple[str, ...], winner: str
) -> None:
    """--config beats $MLOPS_CONFIG beats ./mlops.yaml; each config names its own workspace so we see which won."""
    args: list[str | Path] = ["--format", "json"]
    for source in sources:
        folder = tmp_path / f"ws-from-{source}"
        if source == "cwd":
            write_config(Path.cwd() / "mlops.yaml", folder)
        elif source == "env":
            monkeypatch.setenv("MLOPS_CONFIG", str(write_config(tmp_path / "env" / "monitor.yaml", folder)))
        else:
            args += ["--config", write_config(tmp_path / "flag" / "monitor.yaml", folder)]
    r = run_monitor(*args)
    assert "Traceback" not in r.text
    assert r.code == 1  # the named workspace does not exist
    assert report(r)["workspace"] == str(tmp_path / f"ws-from-{winner}")


@pytest.mark.parametrize("how", ["flag", "env", "set"])
def test_a_workspace_alone_runs_on_the_defaults(
    run_monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, workspace: Path, how: str
) -> None:
    """The defaults need only a workspace; naming one must not also demand a config file."""
    args = ["--as-of", "2026-11-20T12:05:00Z", "--format", "json"]
    if how == "flag":
        args += ["--workspace", str(workspace)]
    elif how == "env":
        monkeypatch.setenv("MLOPS_WORKSPACE", str(workspace))
    else:
        args += ["--set", f"workspace={json.dumps(str(workspace))}"]
    r = run_monitor(*args)
    assert r.code == 0, r.text
    assert report(r)["workspace"] == str(workspace)
    assert finding(r, "MON301")["severity"] == "warning"  # MLflow unconfigured: the defaults, not the example's


def test_mlops_config_env_reads_a_working_config(
    run_monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workspace: Path
) -> None:
    """A config found through the environment is used whole, relative workspace path included."""
    config = tmp_path / "conf" / "monitor.yaml"
    write_config(config, os.path.relpath(workspace, config.parent))
    monkeypatch.setenv("MLOPS_CONFIG", str(config))
    r = run_monitor("--format", "json")
    assert r.code == 0, r.text
    assert Path(report(r)["workspace"]).resolve() == workspace.resolve()


def test_mlops_config_pointing_nowhere_is_a_usage_error(
    run_monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A stale MLOPS_CONFIG must be named, or the user hunts for the wrong file."""
    missing = tmp_path / "gone.yaml"
    monkeypatch.setenv("MLOPS_CONFIG", str(missing))
    r = run_monitor()
    assert r.code == 2
    assert str(missing) in r.err
    assert "Traceback" not in r.text


# --- .env ----------------------------------------------------------------------------------


def test_dotenv_in_the_current_folder_is_read_and_its_uri_redacted(monitor: RunMonitor) -> None:
    """Developers keep MLflow settings in .env; the URI is used, but its password never shown."""
    Path(".env").write_text("MLFLOW_TRACKING_URI=http://alice:dotenv-secret-789@dotenv-host:5000\n", encoding="utf-8")
    r = monitor("--format", "json")
    mon301 = finding(r, "MON301")
    assert "http://dotenv-host:5000" in mon301["message"]
    assert mon301["severity"] == "warning"
    assert "dotenv-secret-789" not in r.text


def test_real_environment_wins_over_dotenv(monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable exported for one run must override the developer's .env, as python-dotenv does by default."""
    Path(".env").write_text("MLFLOW_TRACKING_URI=http://dotenv-host:5000\n", encoding="utf-8")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://real-host:5000")
    r = monitor("--format", "json")
    assert finding(r, "MON301")["message"] == "MLflow tracking URI is http://real-host:5000"
    assert "dotenv-host" not in r.text


def test_python_dotenv_disabled_turns_dotenv_off(monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch) -> None:
    """PYTHON_DOTENV_DISABLED is python-dotenv's own switch; the monitor must honour it."""
    Path(".env").write_text("MLFLOW_TRACKING_URI=http://dotenv-host:5000\n", encoding="utf-8")
    monkeypatch.setenv("PYTHON_DOTENV_DISABLED", "1")
    r = monitor("--format", "json")
    assert "example/mlruns" in finding(r, "MON301")["message"]  # the config file's URI, not .env's
    assert "dotenv-host" not in r.text


def test_unreadable_dotenv_is_a_usage_error_naming_it(monitor: RunMonitor) -> None:
    """A .env in Latin-1 must be reported as such, not crash the monitor."""
    Path(".env").write_bytes(b"MLFLOW_EXPERIMENT_NAME=d\xe9mo\n")
    r = monitor()
    assert r.code == 2
    assert ".env" in r.err


# --- selecting checks, listing, argparse ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--select", "MON1"), {i for i in ALL_IDS if i.startswith("MON1")}),
        (("--ignore", "MON3"), {i for i in ALL_IDS if not i.startswith("MON3")}),
        (("--select", "MON2", "--select", "MON3"), {i for i in ALL_IDS if i[:4] in {"MON2", "MON3"}}),
        (("--select", "MON1", "--ignore", "MON105"), {i for i in ALL_IDS if i.startswith("MON1") and i != "MON105"}),
        (("--select", "MON2,MON3"), {i for i in ALL_IDS if i[:4] in {"MON2", "MON3"}}),
        (("--ignore", "MON1,MON3"), {i for i in ALL_IDS if i[:4] not in {"MON1", "MON3"}}),
        (("--set", "select=MON2,MON3"), {i for i in ALL_IDS if i[:4] in {"MON2", "MON3"}}),
    ],
    ids=["select", "ignore", "select-twice", "ignore-wins", "select-commas", "ignore-commas", "set-select-commas"],
)
def test_select_and_ignore_by_id_prefix(monitor: RunMonitor, args: tuple[str, ...], expected: set[str]) -> None:
    """Prefixes work as in ruff: a family (MON1) or a whole ID (MON105), and ignore wins over select."""
    assert expected
    assert expected != ALL_IDS
    r = monitor("--format", "json", *args)
    assert {f["check"] for f in report(r)["findings"]} == expected


def test_list_checks_needs_no_config(run_monitor: RunMonitor) -> None:
    """--list-checks documents the IDs for --select; it must work before anything is configured."""
    r = run_monitor("--list-checks")
    assert r.code == 0
    for chk in REGISTRY:
        assert chk.id in r.out
        assert chk.description in r.out
    assert r.err == ""


@pytest.mark.parametrize(
    "args",
    [
        ("--no-such-option",),
        ("--format", "xml"),
        ("--fail-on", "never"),
        ("--example", "--config", "monitor.yaml"),
    ],
)
def test_bad_command_line_exits_2_with_usage(run_monitor: RunMonitor, args: tuple[str, ...]) -> None:
    """argparse errors must come back as exit 2, not as a SystemExit escaping main()."""
    r = run_monitor(*args)
    assert r.code == 2
    assert "usage:" in r.err
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    ("extra", "code", "severity"), [((), 0, "ok"), (("--set", "files.max_age_hours=1"), 1, "error")]
)
def test_set_overrides_a_config_key(monitor: RunMonitor, extra: tuple[str, ...], code: int, severity: str) -> None:
    """Two hours after the last window is fine by default and too old once max_age_hours is 1."""
    r = monitor("--as-of", "2026-11-20T14:00:00Z", "--format", "json", *extra)
    assert r.code == code
    assert finding(r, "MON105")["severity"] == severity


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--set", "no-equals-sign"), "KEY=VALUE"),
        (("--set", "files.max_age=1"), "files.max_age_hours"),
        (("--as-of", "2026-11-20T12:00:00"), "as_of"),
        (("--as-of", "yesterday"), "as_of"),
        (("--as-of", "9999-12-31T23:59:59Z"), "'as_of' must be a time in the years 1970 to 8999"),
        (("--as-of", "0001-01-01T00:00:00Z"), "'as_of' must be a time in the years 1970 to 8999"),
        (("--as-of", "0001-01-01T00:00:00+01:00"), "'as_of' must be a time in the years 1970 to 8999"),
        (("--since", "0001-01-01T00:00:00Z"), "'drift.since' must be a time in the years 1970 to 8999"),
        (("--set", "alerts.window_hours=1000000000"), "'alerts.window_hours' must be at most 876000 hours"),
        (("--set", "alerts.window_hours=100000000"), "'alerts.window_hours' must be at most 876000 hours"),
        (("--set", "files.max_age_hours=1000000"), "'files.max_age_hours' must be at most 876000 hours"),
        (("--set", "mlflow.max_run_age_days=100000"), "'mlflow.max_run_age_days' must be at most 36500 days"),
        (("--set", "files.baseline="), "'files.baseline' must be a non-empty string"),
        (("--set", "files.alerts="), "'files.alerts' must be a non-empty string"),
        (("--set", "files.windows=''"), "'files.windows' must be a non-empty string"),
        (("--set", "files.peers=null"), "'files.peers' must be a non-empty string"),
        (("--model-alias", ""), "'mlflow.model_alias' must be a non-empty string"),
        (("--set", "mlflow.model_alias="), "'mlflow.model_alias' must be a non-empty string"),
    ],
)
def test_bad_values_on_the_command_line_exit_2_naming_the_key(
    monitor: RunMonitor, args: tuple[str, ...], named: str
) -> None:
    """A naive --as-of would silently shift the verdict by the local UTC offset; refuse it and say which key.
    Times and spans that would overflow a check, and empty names, are refused here rather than crash later."""
    r = monitor(*args)
    assert r.code == 2
    assert named in r.err
    assert "command line" in r.err
    assert r.out == ""


def test_a_bad_environment_variable_is_named(monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user exported a variable, not a dotted key: the message names the variable to fix."""
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "maybe")
    r = monitor()
    assert r.code == 2
    assert r.err == (
        "mlops monitor: environment (MLFLOW_TRACKING_INSECURE_TLS): 'mlflow.insecure_tls' must be true or false,"
        " got str 'maybe'\n"
    )


def test_a_malformed_tracking_uri_is_a_finding_not_a_crash(
    run_monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a model name set, the report builds MLflow links from the URI; a broken one must not crash that."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://[::1")
    r = run_monitor("--example", "--format", "json")
    assert "Traceback" not in r.text
    assert r.code == 1, r.text
    assert finding(r, "MON301")["severity"] == "error"
    assert not report(r)["links"]


@pytest.mark.parametrize("value", ["0", "false", "no", "", "off"])
def test_mlops_debug_off_values_keep_the_traceback_hidden(
    run_monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """MLOPS_DEBUG=0 reads as off, as PYTHON_DOTENV_DISABLED=0 does; an internal error stays one line, exit 3."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected")  # a bug somewhere below main(): main's handling is under test

    monkeypatch.setattr(cli, "evaluate", broken)
    monkeypatch.setenv("MLOPS_DEBUG", value)
    r = run_monitor("--example")
    assert r.code == 3
    assert r.err == "mlops monitor: internal error (RuntimeError); rerun with MLOPS_DEBUG=1 for details\n"
    monkeypatch.setenv("MLOPS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="injected"):
        run_monitor("--example")


# --- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
def test_secrets_never_reach_any_output(
    monitor: RunMonitor,
    monkeypatch: pytest.MonkeyPatch,
    workspace: Path,
    fmt: str,
    to_file: bool,
) -> None:
    """Even when a workspace file quotes a credential, every rendered byte is scrubbed."""
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ENV_CANARY)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://user:{URI_CANARY}@host:5000")
    alerts_file = workspace / "alerts.json"
    alerts = json.loads(alerts_file.read_text(encoding="utf-8"))
    alerts["alerts"].append(
        {
            "id": "leak-1",
            "raised_at": "2026-11-20T12:00:00Z",
            "severity": "critical",
            "title": f"login failed with {ENV_CANARY} on http://user:{URI_CANARY}@host:5000",
        }
    )
    alerts_file.write_text(json.dumps(alerts), encoding="utf-8")
    target = Path.cwd() / "report.out"
    r = monitor("--format", fmt, *(("--output", target) if to_file else ()))
    assert r.code == 1  # the critical alert is reported, only without the secrets
    written = target.read_text(encoding="utf-8") if to_file else r.out
    assert "leak-1" in written
    assert "http://host:5000" in written
    for canary in (ENV_CANARY, URI_CANARY):
        assert canary not in r.out
        assert canary not in r.err
        assert canary not in written


def test_secrets_stay_out_of_configuration_errors(monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error message that echoes a bad value must not echo a credential pasted by mistake."""
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ENV_CANARY)
    r = monitor("--set", f"files.max_bytes={ENV_CANARY}")
    assert r.code == 2
    assert "files.max_bytes" in r.err
    assert ENV_CANARY not in r.text


# --- --help: what a user types, in the user's words ---------------------------------------------


def test_help_shows_placeholders_not_config_keys(run_monitor: RunMonitor) -> None:
    """argparse derives a metavar from ``dest``: `--windows DRIFT.WINDOWS` reads as a config key to type."""
    r = run_monitor("--help")
    assert r.code == 0
    usage = r.out[: r.out.index("environment variables")]
    assert not [word for word in usage.split() if "." in word.strip("[]{}(),").rstrip(".") and word.isupper()]
    for shown in ("--windows N", "--as-of TIME", "--tracking-uri URI", "--model-alias ALIAS", "PREFIX[,PREFIX...]"):
        assert shown in usage


def test_help_lists_every_environment_variable(run_monitor: RunMonitor) -> None:
    out = run_monitor("--help").out
    epilog = out[out.index("environment variables") :]
    for name in [*ENV_KEYS, *cli.OTHER_VARIABLES]:
        assert name in epilog
    assert "130" in epilog


def test_list_checks_into_a_closed_pipe_prints_no_traceback() -> None:
    """`--list-checks | head -1`: the reader leaves early; that is not a crash to report."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops.monitoring", "--list-checks"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the monitor has even imported: its first write meets a closed pipe
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) in (0, 1)
    assert "Traceback" not in err
