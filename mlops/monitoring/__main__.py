"""``python -m mlops.monitoring``."""

from mlops.monitoring.cli import main

raise SystemExit(main())
