"""The kit's own cells, on which :func:`check_remedy` tries a remedy when it is given no cell.

torch's fused ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` (one layer, ``batch_first``), returning only the output
sequence, so they follow the CellSpec conventions: parameters named ``weight_ih*`` / ``weight_hh*`` /
``bias_ih*`` / ``bias_hh*``, gates stacked in torch's order. The kit thus depends on no plugin, the built-ins
included. This module imports torch: the checks import it when they run.
"""

from __future__ import annotations

import torch
from torch import nn

from lossbench.api.params import Categorical
from lossbench.api.specs import CellSpec


class _OutputSequence:
    """Mixin for a fused recurrent layer: ``forward(x[B, T, F]) -> [B, T, H]``, without the final state."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x)[0]  # type: ignore[misc]


class RNNLayer(_OutputSequence, nn.RNN):
    pass


class GRULayer(_OutputSequence, nn.GRU):
    pass


class LSTMLayer(_OutputSequence, nn.LSTM):
    pass


def build_rnn(input_size: int, hidden_size: int, *, activation: str) -> nn.Module:
    return RNNLayer(input_size, hidden_size, nonlinearity=activation, batch_first=True)


def build_gru(input_size: int, hidden_size: int) -> nn.Module:
    return GRULayer(input_size, hidden_size, batch_first=True)


def build_lstm(input_size: int, hidden_size: int) -> nn.Module:
    return LSTMLayer(input_size, hidden_size, batch_first=True)


RNN = CellSpec(
    name="rnn",
    summary="Elman RNN, torch's fused nn.RNN (tanh or relu: relu meets identity-initialisation requirements)",
    constraints={"activation": Categorical(["tanh", "relu"])},
    defaults={"activation": "tanh"},
    build=build_rnn,
    gates=("h",),
    init_styles={"identity"},
)
GRU = CellSpec(name="gru", summary="Gated recurrent unit, torch's fused nn.GRU", build=build_gru,
               gates=("r", "z", "n"), init_styles={"chrono"}, gate_roles={"z": "keep"})
LSTM = CellSpec(name="lstm", summary="Long short-term memory, torch's fused nn.LSTM", build=build_lstm,
                gates=("i", "f", "g", "o"), init_styles={"chrono"}, gate_roles={"i": "write", "f": "keep"})

# Tried in this order when check_remedy is given no cell: the first one the remedy accepts is used.
CANDIDATES: tuple[tuple[CellSpec, dict[str, str]], ...] = (
    (GRU, {}), (RNN, {"activation": "relu"}), (LSTM, {}), (RNN, {"activation": "tanh"}),
)
