"""Built-in sweeps (``lossbench run --preset NAME``), each sized for a 2-core CPU (durations in the README)."""

from __future__ import annotations

from lossbench.sweep.spec import SweepSpec

PRESETS: dict[str, SweepSpec] = {
    # Sized to finish within about 3 minutes on a 2-core machine (measured: see the README).
    "quickstart": SweepSpec(name="quickstart", dataset="mnist1d", losses=("ce", "focal", "bce"), cells=("rnn", "gru"),
                            remedy_sets=((), ("clip_norm", "orthogonal_init")), trials=6, epochs=4, seeds=3,
                            hidden=(64,), batch_size=100),
    # The seed article done right: stacked tanh RNN (64, 32), Adam, bce as the article used it against ce, lr tuned.
    "seed": SweepSpec(name="seed", dataset="digits", losses=("bce", "ce"), cells=("rnn",), remedy_sets=((),),
                      fixed={"rnn.activation": "tanh"}, trials=12, epochs=10, seeds=5, hidden=(64, 32),
                      batch_size=64, optimizer="adam"),
}

