"""``python -m mlops.training``."""

from mlops.training.cli import main

raise SystemExit(main())
