"""``python -m mlops.training [train|observe]``: the heavy session's entry point.

Exit codes as the monitor's (:class:`mlops.core.cli.ExitCode`): 0 done, 2 bad input or
configuration (nothing registered, no partial file), 3 a bug (``MLOPS_DEBUG=1`` shows it), 130
interrupted (files are written atomically, so none is half-written).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlops.core.cli import ExitCode, internal_error, parse_sets
from mlops.core.config import ConfigError, read_environment
from mlops.core.redact import hide_userinfo, scrub, secrets_in
from mlops.training import config


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mlops.training", description="Train, register and observe a YOLO detector."
    )
    p.add_argument("command", nargs="?", choices=("train", "observe"), default="train")
    p.add_argument("--config", type=Path, help="YAML config (keys: mlops/training/default.yaml)")
    for flag in ("data", "model", "device", "workspace", "name"):
        p.add_argument(f"--{flag}")
    for flag in ("epochs", "imgsz", "batch"):
        p.add_argument(f"--{flag}", type=int)
    p.add_argument("--images", type=Path, help="observe: the folder of new images")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override any config key")
    return p


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    found = parse_sets(args.set)
    for key in ("data", "model", "device", "workspace", "name", "epochs", "imgsz", "batch"):
        if (value := getattr(args, key)) is not None:
            found[key] = value
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns an :class:`ExitCode` value and never raises to the caller."""
    secrets: list[str] = []

    def fail(code: ExitCode, message: str) -> int:
        sys.stderr.write(hide_userinfo(scrub(f"mlops train: {message}\n", secrets)))
        return int(code)

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage (exit 2) or help (exit 0)
        return int(exc.code or 0)
    cwd = Path.cwd()
    try:
        env = read_environment(cwd, os.environ)  # the monitor's rule: real variables win over .env
        secrets = secrets_in(env, sys.argv[1:] if argv is None else argv)
        # MLflow reads its own variables (credentials, timeouts) from the process environment.
        os.environ.update({k: v for k, v in env.items() if k not in os.environ})
        cfg = config.load(args.config, env=env, overrides=overrides(args), cwd=cwd)
        from mlops.training.pipeline import TrainError, iter_lines, observe, train  # the heavy imports, last

        try:
            if args.command == "observe":
                if args.images is None:
                    raise TrainError("observe needs --images DIR")
                print(f"mlops observe: window written to {observe(cfg, cwd, args.images)}")
            else:
                for line in iter_lines(train(cfg, cwd)):
                    print(f"mlops train: {line}")
        except TrainError as exc:
            return fail(ExitCode.USAGE, str(exc))
        return int(ExitCode.OK)
    except ConfigError as exc:
        return fail(ExitCode.USAGE, str(exc))
    except KeyboardInterrupt:
        return fail(ExitCode.INTERRUPTED, "interrupted; no monitoring file was half-written")
    except Exception as exc:  # noqa: BLE001 - the last resort: exit 3 and one line, never a traceback
        return fail(ExitCode.INTERNAL, internal_error(exc))
