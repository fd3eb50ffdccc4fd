"""ferbench: a benchmarking harness for facial expression recognition, AU detection and
expression transfer. The public API for plugin authors is re-exported here."""

import pluggy

from .data.info import DatasetInfo
from .method import Method
from .specs import DatasetSpec, MetricSpec, ModelSpec, Reported, TaskSpec

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("ferbench")

__all__ = ["hookimpl", "TaskSpec", "DatasetSpec", "ModelSpec", "MetricSpec", "Reported",
           "Method", "DatasetInfo", "__version__"]
