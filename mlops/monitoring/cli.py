"""``python -m mlops.monitoring``: read the config, run the checks, render, exit with a code.

The only place that touches the process: environment, ``.env``, stdout/stderr, signals and
the exit status. Arguments are :mod:`~mlops.monitoring.options`, the run itself is
:mod:`~mlops.monitoring.runner`, the formats are :mod:`~mlops.monitoring.reporters`.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from mlops.core.cli import internal_error
from mlops.core.config import ConfigError, read_environment
from mlops.core.location import STORAGE_PREFIXES
from mlops.core.redact import hide_userinfo, proxy_passwords, scrub, secrets_in, uri_passwords
from mlops.monitoring.checks import selected_checks
from mlops.monitoring.config import Config
from mlops.monitoring.heartbeat import VARIABLE as HEARTBEAT_VARIABLE
from mlops.monitoring.heartbeat import Heartbeat, configured, outcome_line, ping, secret_parts
from mlops.monitoring.options import OTHER_VARIABLES, build_parser, configure
from mlops.monitoring.reporters import PublishError, resolve
from mlops.monitoring.results import ExitCode, Report, Severity
from mlops.monitoring.runner import evaluate, scrub_report

__all__ = ["OTHER_VARIABLES", "main"]


def emit(
    report: Report,
    config: Config,
    *,
    env: Mapping[str, str],
    derived: Sequence[str],
    clean: Callable[[str], str],
    fail: Callable[[ExitCode, str], int],
) -> int:
    """Write the report where the config says, then the format's side channels; returns the exit code."""
    reporter = resolve(config.format, env, terminal=config.output is None and utf8_terminal())
    text = clean(reporter.render(report))
    sys.stdout.write(reporter.preamble(env, derived))
    if config.output is None:
        sys.stdout.write(text)
    else:
        try:
            from mlops.core.atomic import write_atomic  # tempfile and shutil: only a run with --output

            write_atomic(config.output, text)
        except OSError as exc:
            return fail(ExitCode.USAGE, f"{config.output}: cannot write the report ({exc.strerror})")
    if config.html is not None:  # after the report, before the side channels: they never claim an unwritten page
        from mlops.core.atomic import write_atomic
        from mlops.monitoring.reporters.html import Html  # only a run with --html pays for the page

        try:
            write_atomic(config.html, clean(Html().render(report)))
        except OSError as exc:
            return fail(ExitCode.USAGE, f"{config.html}: cannot write the HTML page ({exc.strerror})")
    try:  # after the report, so a step's outputs never claim a run that failed to write
        sys.stdout.write(clean(reporter.publish(report, env=env, clean=clean, logged=config.output is None)))
    except PublishError as exc:
        return fail(ExitCode.USAGE, str(exc))
    return int(report.exit_code)


def utf8_terminal() -> bool:
    """Whether stdout is a terminal that shows UTF-8: only then may the text report draw sparklines."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    try:
        return encoding == "utf8" and sys.stdout.isatty()
    except (OSError, ValueError):  # a closed or odd stdout is no terminal
        return False


def beat(heartbeat: Heartbeat, code: int, body: str, *, github: bool, clean: Callable[[str], str]) -> None:
    """Ping the dead man's switch with the outcome. A failed ping is told, never turned into the exit code:
    the verdict is already out, and a monitoring service being down says nothing about the model."""
    try:
        why = ping(heartbeat, code, clean(body))
    except Exception as exc:  # noqa: BLE001 - a bug here must not cost the verdict either
        why = f"internal error ({type(exc).__name__})"
    if why is None:
        return
    message = f"heartbeat to {heartbeat.shown} failed ({why}); the verdict stands"
    sys.stderr.write(clean(f"mlops monitor: {message}\n"))
    if github:
        from mlops.core.workflow import escape_data  # only a failed ping under --format github

        sys.stdout.write(clean(f"::warning title=mlops heartbeat::{escape_data(message)}\n"))


def outcome(report: Report, code: int) -> str:
    """The heartbeat's body for a run that produced a report."""
    errors = sum(f.severity is Severity.ERROR for f in report.findings)
    warnings = sum(f.severity is Severity.WARNING for f in report.findings)
    return outcome_line(code, errors=errors, warnings=warnings, workspace=report.workspace)


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns an :class:`ExitCode` value and never raises to the caller."""
    started = time.monotonic()
    secrets: list[str] = []

    def clean(text: str) -> str:  # every text that leaves the process goes through here
        return hide_userinfo(scrub(text, secrets))

    def fail(code: ExitCode, message: str) -> int:
        sys.stderr.write(clean(f"mlops monitor: {message}\n"))
        return int(code)

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage
        return int(exc.code or 0)
    if args.list_checks:
        for chk in selected_checks((), ()):
            print(f"{chk.id}  {chk.family:<7} {chk.title:<18} {chk.description}")
        return int(ExitCode.OK)
    previous = signal.signal(signal.SIGTERM, _interrupt) if _in_main_thread() else None
    heartbeat: Heartbeat | None = None
    format_name: str = args.format or "auto"
    env: Mapping[str, str] = os.environ
    try:
        try:
            cwd = Path.cwd()
            env = read_environment(cwd, os.environ)
            secrets = secrets_in(env, sys.argv[1:] if argv is None else argv)
            secrets += secret_parts(env.get(HEARTBEAT_VARIABLE) or "")  # set or not, valid or not, off or on
            heartbeat = configured(env, disabled=args.no_heartbeat)
            config, origin = configure(args, env, cwd)
            format_name = config.format
            if isinstance(config.workspace, str):  # obstore reads the process environment: give it .env's credentials
                os.environ.update(
                    {k: v for k, v in env.items() if k.startswith(STORAGE_PREFIXES) and k not in os.environ}
                )
            given = sys.argv[1:] if argv is None else argv
            derived = uri_passwords([*env.values(), config.mlflow.tracking_uri or "", *given]) + proxy_passwords(env)
            secrets += derived
            report = scrub_report(evaluate(config, env, cwd, started=started, origin=origin), clean)
            code = emit(report, config, env=env, derived=derived, clean=clean, fail=fail)
            body = outcome(report, code)
        except ConfigError as exc:
            code, body = fail(ExitCode.USAGE, str(exc)), outcome_line(ExitCode.USAGE, detail=str(exc))
        except Exception as exc:  # noqa: BLE001 - the last resort: exit 3 and one line, never a traceback
            message = internal_error(exc)
            code, body = fail(ExitCode.INTERNAL, message), outcome_line(ExitCode.INTERNAL, detail=message)
        if heartbeat is not None:  # once the exit code is known; an interrupted run sends none
            beat(heartbeat, code, body, github=resolve(format_name, env).name == "github", clean=clean)
        return code
    except KeyboardInterrupt:
        if _in_main_thread():  # a second Ctrl-C, or nox passing on the one the terminal sent, is the same request
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
        return fail(ExitCode.INTERRUPTED, "interrupted; no report was written")
    except Exception as exc:  # noqa: BLE001 - as above, for the heartbeat's own last resort
        return fail(ExitCode.INTERNAL, internal_error(exc))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
