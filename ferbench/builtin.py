"""The core's own plugin: registers the built-in tasks, datasets, models and metrics through the
same hooks as any third-party plugin."""

from . import hookimpl


@hookimpl
def ferbench_register_tasks():
    from .tasks.catalog import TASKS
    return TASKS


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
    from .metrics.au_catalog import AU_METRICS
    from .metrics.catalog import METRICS
    return [*METRICS, *AU_METRICS]
