"""The public API for plugin authors. Importing it never imports torch, optuna or rich (nor numpy: the data
helpers in ``series`` and ``ts`` are handed out lazily by ``lossbench``)."""

from lossbench.api.data import Dataset, Split
from lossbench.api.hookspecs import hookimpl
from lossbench.api.params import Categorical, Float, Int, Param
from lossbench.api.remedy import ModelInfo, Remedy
from lossbench.api.specs import CellSpec, DatasetSpec, LossSpec, RemedySpec, Spec
from lossbench.api.version import API_VERSION

__all__ = [
    "API_VERSION", "Categorical", "CellSpec", "Dataset", "DatasetSpec", "Float", "Int", "LossSpec", "ModelInfo",
    "Param", "Remedy", "RemedySpec", "Spec", "Split", "hookimpl",
]
