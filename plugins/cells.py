"""Built-in recurrent cells: rnn (tanh, relu, leaky_relu), gru and lstm, each in one direction or both.

Each cell is a spec constant; its ``build(input_size, hidden_size, **params)`` receives every parameter (the
defaults live in the spec only) and imports :mod:`lossbench_builtins.cell_modules`, which imports torch.
"""

from __future__ import annotations

from lossbench import Categorical, CellSpec, Float, hookimpl

LOSSBENCH_API = "1.1"  # the version of lossbench's plugin API this module is written for


def build_rnn(input_size, hidden_size, *, activation, negative_slope, bidirectional):
    from lossbench_builtins import cell_modules

    if activation == "leaky_relu":
        return cell_modules.LeakyReLURNNLayer(input_size, hidden_size, negative_slope, bidirectional)
    return cell_modules.RNNLayer(input_size, hidden_size, nonlinearity=activation, batch_first=True,
                                 bidirectional=bidirectional)


def build_gru(input_size, hidden_size, *, bidirectional):
    from lossbench_builtins import cell_modules

    return cell_modules.GRULayer(input_size, hidden_size, batch_first=True, bidirectional=bidirectional)


def build_lstm(input_size, hidden_size, *, bidirectional):
    from lossbench_builtins import cell_modules

    return cell_modules.LSTMLayer(input_size, hidden_size, batch_first=True, bidirectional=bidirectional)


RNN = CellSpec(
    name="rnn",
    summary="Elman RNN: tanh or relu through torch's fused nn.RNN, leaky_relu through a loop of our own",
    constraints={"activation": Categorical(["tanh", "relu", "leaky_relu"]), "negative_slope": Float(0.0, 1.0),
                 "bidirectional": Categorical([False, True])},
    defaults={"activation": "tanh", "negative_slope": 0.01, "bidirectional": False},
    build=build_rnn,
    gates=("h",),
    recurrent_weight="matrix",
    init_styles={"identity"},
    bidirectional=True,  # bidirectional=true runs it both ways, each direction within each sequence's length
    inputs={"lengths"},
)
GRU = CellSpec(
    name="gru",
    summary="Gated recurrent unit (Cho et al. 2014), torch's fused nn.GRU",
    constraints={"bidirectional": Categorical([False, True])},
    defaults={"bidirectional": False},
    build=build_gru,
    gates=("r", "z", "n"),
    gate_roles={"z": "keep"},  # torch computes h' = (1 - z) * n + z * h: z keeps the old state
    recurrent_weight="matrix",
    init_styles={"chrono"},
    bidirectional=True,  # bidirectional=true runs it both ways, each direction within each sequence's length
    inputs={"lengths"},
)
LSTM = CellSpec(
    name="lstm",
    summary="Long short-term memory (Hochreiter & Schmidhuber 1997), torch's fused nn.LSTM",
    constraints={"bidirectional": Categorical([False, True])},
    defaults={"bidirectional": False},
    build=build_lstm,
    gates=("i", "f", "g", "o"),
    gate_roles={"i": "write", "f": "keep"},  # c' = f * c + i * g
    recurrent_weight="matrix",
    init_styles={"chrono"},
    bidirectional=True,  # bidirectional=true runs it both ways, each direction within each sequence's length
    inputs={"lengths"},
)

SPECS = (RNN, GRU, LSTM)


@hookimpl
def register_cells(register):
    for spec in SPECS:
        register(spec)
