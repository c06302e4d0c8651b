"""``python -m mlops.training [train|observe]``: the heavy session's entry point.

Exit codes as the monitor's: 0 done, 2 bad input or configuration (nothing registered, no
partial file), 130 interrupted (files are written atomically, so none is half-written).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlops.core.config import ConfigError, read_environment
from mlops.core.redact import SECRET_VARIABLES, scrub
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
    import yaml

    found: dict[str, Any] = {}
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"command line: --set {item!r} must look like KEY=VALUE")
        found[key] = yaml.safe_load(raw) if raw else None
    for key in ("data", "model", "device", "workspace", "name", "epochs", "imgsz", "batch"):
        if (value := getattr(args, key)) is not None:
            found[key] = value
    return found


def main(argv: Sequence[str] | None = None) -> int:
    from mlops.training.pipeline import TrainError, iter_lines, observe, train

    secret_names = [v for v in SECRET_VARIABLES if v != "MLFLOW_TRACKING_USERNAME"]
    secrets = [os.environ.get(v, "") for v in secret_names]
    args = build_parser().parse_args(argv)
    cwd = Path.cwd()
    try:
        env = read_environment(cwd, os.environ)  # the monitor's rule: real variables win over .env
        secrets += [env.get(v, "") for v in secret_names]
        # MLflow reads its own variables (credentials, timeouts) from the process environment.
        os.environ.update({k: v for k, v in env.items() if k not in os.environ})
        cfg = config.load(args.config, env=env, overrides=overrides(args), cwd=cwd)
        if args.command == "observe":
            if args.images is None:
                raise TrainError("observe needs --images DIR")
            print(f"mlops observe: window written to {observe(cfg, cwd, args.images)}")
        else:
            for line in iter_lines(train(cfg, cwd)):
                print(f"mlops train: {line}")
        return 0
    except (ConfigError, TrainError) as exc:
        sys.stderr.write(scrub(f"mlops train: {exc}\n", secrets))
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("mlops train: interrupted; no monitoring file was half-written\n")
        return 130
