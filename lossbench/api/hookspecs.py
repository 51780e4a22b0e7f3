"""The hooks a lossbench plugin implements. Each receives ``register``: call it once per component."""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from lossbench.api.specs import CellSpec, DatasetSpec, LossSpec, RemedySpec

PROJECT = "lossbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_losses(register: Callable[[LossSpec], None]) -> None:
    """Register loss functions.

    :param register: call ``register(LossSpec(...))`` once for each loss this plugin provides.

    A loss's ``build(**params)`` returns a callable ``(logits: float[N, C], target: long[N]) -> scalar``
    (mean over N). Import torch inside ``build``, never at module level.
    """


@hookspec
def register_cells(register: Callable[[CellSpec], None]) -> None:
    """Register recurrent cells (a layer type the model stacks).

    :param register: call ``register(CellSpec(...))`` once for each cell this plugin provides.

    A cell's ``build(input_size, hidden_size, **params)`` returns a causal ``torch.nn.Module`` mapping
    ``[B, T, F]`` to ``[B, T, hidden_size]``.
    """


@hookspec
def register_datasets(register: Callable[[DatasetSpec], None]) -> None:
    """Register datasets.

    :param register: call ``register(DatasetSpec(...))`` once for each dataset this plugin provides.

    A dataset's ``load(**params)`` returns a :class:`lossbench.api.Dataset`. Nothing may be downloaded at
    run time: generate the data, or read it from a folder the user names.
    """


@hookspec
def register_remedies(register: Callable[[RemedySpec], None]) -> None:
    """Register gradient-stability remedies (clipping, initialisations, normalisation, regularisers).

    :param register: call ``register(RemedySpec(...))`` once for each remedy this plugin provides.

    A remedy's ``build(**params)`` returns a :class:`lossbench.api.Remedy` subclass instance; ``cells``
    and ``check`` on the spec say which cells it can be combined with.
    """
