"""The data a sweep trains on, loaded once in the starting process before anything is stored or trained.

A dataset that is missing or corrupt, or a loss that cannot fit the targets it holds, would fail every trial of
its arms; it is found here instead, as one message (exit 2). Whether a loss fits depends on the loss and the data
alone, so such a loss has no arm that could run. The loaded data is handed to the worker in this process, so it
costs nothing extra.
"""

from __future__ import annotations

from typing import Any

from lossbench.sweep.spec import SweepSpec
from lossbench.sweep.trial import run_config


def probe_data(spec: SweepSpec, registry: Any) -> Any:
    """The loaded dataset, after checking that every loss of the sweep fits its targets."""
    from lossbench.engine.config import check_loss_fits

    data = load_data(spec, registry)  # its errors name the dataset and its plugin
    for loss in dict.fromkeys(arm.loss for arm in spec.arms):
        check_loss_fits(registry.get("losses", loss), data.target_kind, spec.dataset)
    return data


def load_data(spec: SweepSpec, registry: Any, config: Any = None) -> Any:
    """The sweep's dataset (every arm's is the same: ``dataset_params`` are set, never tuned), loaded and checked;
    what its plugin raises names the dataset and the plugin. ``config``: a run of the sweep (default: its first
    arm's)."""
    from lossbench.engine import load_dataset, resolve

    config = config or run_config(spec, spec.arms[0], {}, seed=0, flow_profile=False)
    return load_dataset(resolve(config, registry))
