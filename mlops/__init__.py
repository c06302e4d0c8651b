"""Keep a heavy training stack out of the jobs that do not need it.

This file imports nothing on purpose: an import-linter contract on a sub-package cannot
see what a package root imports, and everything below ``mlops.monitoring`` must stay light.
"""
