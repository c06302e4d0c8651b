"""The light monitor: checks monitoring files, alerts and the MLflow setup without loading a model.

Nothing under this package may import torch, torchvision, ultralytics, cv2, numpy, pandas,
scipy, evidently or :mod:`mlops.training` (import-linter contract in pyproject.toml).
"""
