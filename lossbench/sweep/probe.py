"""The data a sweep trains on, loaded once in the starting process before anything is stored or trained.

A dataset that is missing or corrupt, or a loss that cannot fit the targets it holds, would fail every trial of
an arm; it is found here instead: such arms are refused with why, and a sweep left with a loss none of whose arms
can run is an error (exit 2). The loaded data is handed to the worker in this process, so it costs nothing extra.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lossbench.errors import LossbenchError
from lossbench.sweep.spec import SweepSpec
from lossbench.sweep.validate import nothing_left
from lossbench.sweep.worker import load_data
from lossbench.text import shown


def probe_data(spec: SweepSpec, registry: Any) -> tuple[SweepSpec, Any]:
    """The spec with the arms refused whose loss does not fit the loaded targets, and the loaded dataset."""
    from lossbench.engine.config import check_loss_fits

    data = load_data(spec, registry)  # its errors name the dataset and its plugin
    refused = {key: [reason] for key, reason in spec.refused.items()}
    for arm in spec.arms:
        try:
            check_loss_fits(registry.get("losses", arm.loss), data.target_kind, spec.dataset)
        except LossbenchError as error:
            refused[arm.key] = [str(error)]
    problems = nothing_left(spec, refused, [])
    if problems:
        raise LossbenchError("\n  - ".join([f"invalid sweep {shown(spec.name)}: with the data loaded, a loss or "
                                            f"remedy set has no arm that can run:", *problems]))
    return replace(spec, refused={key: "; ".join(reasons) for key, reasons in refused.items()}), data
