"""Metrics: classification (torchmetrics) and efficiency (timing, parameters, FLOPs)."""
