"""Hook specifications of the `ferbench` plugin manager."""

import pluggy

hookspec = pluggy.HookspecMarker("ferbench")


@hookspec
def ferbench_register_tasks():
    """Return a list of TaskSpec."""


@hookspec
def ferbench_register_datasets():
    """Return a list of DatasetSpec."""


@hookspec
def ferbench_register_models():
    """Return a list of ModelSpec."""


@hookspec
def ferbench_register_metrics():
    """Return a list of MetricSpec."""


@hookspec
def ferbench_run_started(run_id, config):
    """Called when a run starts, with its id and config dict."""


@hookspec
def ferbench_epoch_end(run_id, epoch, metrics):
    """Called after each training epoch with that epoch's metrics dict."""


@hookspec
def ferbench_run_finished(run_id, status, metrics):
    """Called when a run ends; status is 'finished' or 'failed'."""
