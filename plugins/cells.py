"""Built-in recurrent cells: rnn (tanh, relu, leaky_relu), gru and lstm."""

from __future__ import annotations

from lossbench import Categorical, CellSpec, Float, hookimpl


def _build_rnn(input_size: int, hidden_size: int, activation: str = "tanh", negative_slope: float = 0.01):
    from lossbench_builtins import cell_modules

    if activation == "leaky_relu":
        return cell_modules.LeakyReLURNNLayer(input_size, hidden_size, negative_slope)
    return cell_modules.RNNLayer(input_size, hidden_size, nonlinearity=activation, batch_first=True)


def _build_gru(input_size: int, hidden_size: int):
    from lossbench_builtins import cell_modules

    return cell_modules.GRULayer(input_size, hidden_size, batch_first=True)


def _build_lstm(input_size: int, hidden_size: int):
    from lossbench_builtins import cell_modules

    return cell_modules.LSTMLayer(input_size, hidden_size, batch_first=True)


@hookimpl
def register_cells(register):
    register(CellSpec(
        name="rnn",
        summary="Elman RNN: tanh or relu through torch's fused nn.RNN, leaky_relu through a loop of our own",
        constraints={"activation": Categorical(["tanh", "relu", "leaky_relu"]), "negative_slope": Float(0.0, 1.0)},
        defaults={"activation": "tanh", "negative_slope": 0.01},
        build=_build_rnn,
        gates=("h",),
    ))
    register(CellSpec(
        name="gru",
        summary="Gated recurrent unit (Cho et al. 2014), torch's fused nn.GRU",
        build=_build_gru,
        gates=("r", "z", "n"),
    ))
    register(CellSpec(
        name="lstm",
        summary="Long short-term memory (Hochreiter & Schmidhuber 1997), torch's fused nn.LSTM",
        build=_build_lstm,
        gates=("i", "f", "g", "o"),
    ))
