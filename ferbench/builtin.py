"""The core's own plugin: registers the built-in datasets, models and metrics through the
same hooks as any third-party plugin."""

from . import hookimpl


@hookimpl
def ferbench_register_datasets():
    from .data.catalog import DATASETS
    return DATASETS


@hookimpl
def ferbench_register_models():
    from .models.catalog import MODELS
    return MODELS


@hookimpl
def ferbench_register_metrics():
    from .metrics.catalog import METRICS
    return METRICS
