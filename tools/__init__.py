"""Developer tools that are not part of the package: run from a checkout (``nox -s mutate``)."""
