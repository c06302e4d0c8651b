"""The bundled example: a small monitoring workspace that ``nox -s monitor`` checks out of the box."""
