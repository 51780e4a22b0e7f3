"""lossbench: compare cross-entropy variants and gradient-stability remedies on recurrent networks.

Plugin authors import everything they need from here; nothing here imports torch (nor numpy: the data helpers
load on first use). A notebook reads a stored sweep back with ``load_sweep`` (a ``Sweep``: its answer, decisions,
leaderboard and DataFrames), handed out on first use too.
"""

from lossbench.api import (
    API_VERSION, Categorical, CellSpec, Dataset, DatasetSpec, Float, Int, LossSpec, ModelInfo, Param, Remedy,
    RemedySpec, Spec, Split, hookimpl,
)
from lossbench.errors import DataError, IncompatibleError, LossbenchError, ParameterError

__version__ = "0.1.0"

__all__ = [
    "API_VERSION", "Categorical", "CellSpec", "DataError", "Dataset", "DatasetSpec", "Float", "IncompatibleError",
    "Int", "LossSpec", "LossbenchError", "ParameterError",
    "ModelInfo", "Param", "Remedy", "RemedySpec", "Spec", "Split", "Sweep", "TsFile", "__version__", "hookimpl",
    "load_sweep", "pad_sequences", "read_ts", "standardize", "stratified_split", "train",
]

# Public names whose modules import numpy (or torch): loaded when first asked for, so that importing lossbench
# (every command's start-up, every plugin's import) stays light.
_LAZY = {
    "pad_sequences": "lossbench.api.series", "stratified_split": "lossbench.api.series",
    "standardize": "lossbench.api.series", "read_ts": "lossbench.api.ts", "TsFile": "lossbench.api.ts",
    "train": "lossbench.engine", "load_sweep": "lossbench.report.loaded", "Sweep": "lossbench.report.loaded",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lossbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The names here and those handed out on first use, so that ``dir()`` and completion show them too."""
    return sorted({*globals(), *_LAZY})
