"""The heavy side: YOLO training, MLflow logging and registry, the baseline the monitor compares against.

Runs only in the ``train`` session's environment (requirements/full.txt). Nothing under
``mlops.monitoring``, ``mlops.contract`` or ``mlops.core`` may import this package.
"""
