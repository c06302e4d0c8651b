"""Developer tools that are not part of the package, run from a checkout: the noxfile's env sync
(``noxenv``) and monitor launcher (``noxmonitor``), and the mutation tester behind ``nox -s mutate``."""
