"""lossbench: compare cross-entropy variants and gradient-stability remedies on recurrent networks.

Plugin authors import everything they need from here; nothing here imports torch.
"""

from lossbench.api import (
    Categorical, CellSpec, Dataset, DatasetSpec, Float, Int, LossSpec, ModelInfo, Param, Remedy,
    RemedySpec, Spec, Split, hookimpl,
)
from lossbench.errors import DataError, IncompatibleError, LossbenchError, ParameterError

__version__ = "0.1.0"

__all__ = [
    "Categorical", "CellSpec", "DataError", "Dataset", "DatasetSpec", "Float", "IncompatibleError", "Int",
    "LossSpec", "LossbenchError", "ParameterError",
    "ModelInfo", "Param", "Remedy", "RemedySpec", "Spec", "Split", "__version__", "hookimpl", "train",
]


def __getattr__(name: str):
    # ``train`` pulls in torch; load it only when asked for.
    if name == "train":
        from lossbench.engine import train

        return train
    raise AttributeError(f"module 'lossbench' has no attribute {name!r}")
