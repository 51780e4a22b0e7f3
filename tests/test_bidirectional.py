"""Issue 30 item 1: cells run both ways (the built-in rnn, gru, lstm), the readout (last valid step, mean over
valid steps, all steps) with padding never entering it, lengths and an initial state for the cells that ask,
gradient flow per direction, and API 1.1 with a plugin written for 1.0 still loading. Real models, real autograd."""

from __future__ import annotations

import json
import textwrap

import pytest
import torch
from torch.nn import functional as F

from lossbench import CellSpec, LossbenchError
from lossbench.engine import RunConfig, resolve
from lossbench.engine.flow import flow_profile, vanishing_ratio
from lossbench.engine.model import SequenceModel
from lossbench.registry import load_registry
from lossbench.testing import check_cell

REGISTRY = load_registry()


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def model(cell="gru", readout="last", both=True, hidden=4, steps=7, features=2, **params):
    torch.manual_seed(0)
    spec = REGISTRY.get("cells", cell)
    resolved = spec.resolve({"bidirectional": both, **params})
    return SequenceModel(cell, spec.build, resolved, features, (hidden,), 3, False, directions=spec.directions(resolved),
                         readout=readout, seq_len=steps, inputs=spec.inputs).double()


@pytest.mark.parametrize("cell, params", [("gru", {}), ("lstm", {}), ("rnn", {}), ("rnn", {"activation": "leaky_relu"})])
@pytest.mark.parametrize("readout", ["last", "mean", "all"])
def test_padding_never_enters_a_readout(cell, params, readout):
    net = model(cell, readout, **params)
    x = torch.randn(3, 7, 2, dtype=torch.float64)
    lengths = torch.tensor([7, 4, 2])
    base = net(x, lengths)
    padded = x.clone()
    padded[1, 4:], padded[2, 2:] = 1e3, -7.0  # whatever lies after each length
    assert torch.allclose(net(padded, lengths), base, atol=1e-12)
    assert base.shape == (3, 3)
    if readout == "all":  # the head reads every step of both directions
        assert net.head.in_features == 7 * 2 * 4


def test_last_reads_each_direction_at_its_own_end_and_the_backward_one_starts_at_the_last_valid_step():
    net = model("gru", "last", hidden=3)
    layer = net.layers[0]
    x = torch.randn(2, 7, 2, dtype=torch.float64)
    lengths = torch.tensor([7, 4])
    # by hand, a one-way GRU with the reverse direction's weights over sequence 1's valid steps, reversed
    reverse = torch.nn.GRU(2, 3, batch_first=True).double()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(reverse, f"{name}_l0").data.copy_(getattr(layer, f"{name}_l0_reverse").data)
    backward = reverse(x[1:, :4].flip(1))[0].flip(1)  # [1, 4, 3]: step 0 is where it ends
    forward = torch.nn.GRU(2, 3, batch_first=True).double()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(forward, f"{name}_l0").data.copy_(getattr(layer, f"{name}_l0").data)
    ahead = forward(x[1:, :4])[0]
    read = net.read(net.features(x, None, lengths), lengths, None)
    assert torch.allclose(read[1], torch.cat([ahead[0, 3], backward[0, 0]]), atol=1e-12)


def test_mean_is_over_valid_steps_only():
    net = model("gru", "mean", both=False, hidden=3)
    x = torch.randn(2, 7, 2, dtype=torch.float64)
    lengths = torch.tensor([7, 3])
    h = net.features(x, None, lengths)
    read = net.read(h, lengths, torch.arange(7)[None] < lengths[:, None])
    assert torch.allclose(read[1], h[1, :3].mean(dim=0), atol=1e-12)
    assert torch.allclose(read[0], h[0].mean(dim=0), atol=1e-12)


def test_gradient_flow_is_probed_per_direction():
    """Read at the last step, the backward direction reaches x_1 in one step: probed together, the two directions
    would hide the forward direction's vanishing gradient. Each profile is one direction's, in its own time."""
    net = model("rnn", "last", hidden=6, steps=40, features=1)
    x = torch.randn(8, 40, 1)
    y = torch.randint(0, 3, (8,))
    lengths = torch.tensor([40, 40, 33, 40, 25, 40, 40, 38])
    forward = flow_profile(net, F.cross_entropy, x, y, lengths, False, "forward")
    backward = flow_profile(net, F.cross_entropy, x, y, lengths, False, "backward")
    assert len(forward) == len(backward) == 40
    assert vanishing_ratio(forward) < 1e-3 and vanishing_ratio(backward) < 1e-3  # each vanishes through time

    # by hand: the backward direction alone, its time reversed within each sequence
    probe = net.double()
    probe.flow_direction = "backward"
    xd = x.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(probe(xd, lengths), y), xd)
    squares = grad.pow(2).sum(dim=2)
    last_valid = squares[torch.arange(8), lengths - 1]  # where the backward direction starts: its first position
    assert backward[0] == pytest.approx(float(torch.sqrt(squares[[0, 1, 3, 5, 6], 39].sum() * 8 / 5)), rel=1e-9)
    assert backward[-1] == pytest.approx(float(torch.sqrt(squares[:, 0].sum())), rel=1e-9)
    assert float(last_valid.sum()) > 0
    probe.flow_direction = None
    (both,) = torch.autograd.grad(F.cross_entropy(probe(xd, lengths), y), xd)
    combined = both.pow(2).sum(dim=2).sum(dim=0).sqrt()
    assert float(combined[0] / combined[-1]) > 1e3 * vanishing_ratio(forward)  # what one profile would have shown


@pytest.mark.slow
def test_a_bidirectional_run_records_both_directions_profiles():
    from lossbench import train

    result = train(dataset="digits", cell="gru", hidden=(4,), epochs=1, params={"gru": {"bidirectional": True}},
                   readout="mean", threads=1)
    assert result.config["readout"] == "mean" and result.params["gru"]["bidirectional"] is True
    assert set(result.flow["profiles"]) == set(result.flow["backward"]["profiles"]) == {"0", "1"}
    assert all(r is not None for r in result.flow["backward"]["vanishing_ratio"].values())


def test_the_model_options_are_checked_against_the_cell_and_the_dataset():
    def problems(**config):
        with pytest.raises(LossbenchError) as error:
            resolve(RunConfig(**config), REGISTRY)
        return str(error.value)

    assert "unknown readout 'first'; known: all, last, mean" in problems(readout="first")
    message = problems(dataset="copy", cell="gru", params={"gru": {"bidirectional": True}})
    assert "dataset copy has a target at every step" in message and "gru.bidirectional" in message
    assert "readout mean" in problems(dataset="copy", cell="gru", readout="mean")
    with pytest.raises(ValueError, match="needs a parameter bidirectional"):
        CellSpec(name="both", summary="s", build=lambda i, h: None, bidirectional=True)
    with pytest.raises(ValueError, match="inputs"):
        CellSpec(name="both", summary="s", build=lambda i, h: None, inputs={"mask"})


@pytest.mark.slow
def test_the_train_command_of_the_issue_runs_the_papers_model(cli, tmp_path):
    done = cli("train", "--dataset", "mnist1d", "--cell", "gru", "--hidden", "6", "--set", "bidirectional=true",
               "--set", "readout=all", "--epochs", "1", "--no-flow-profile", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["config"]["readout"] == "all" and result["params"]["gru"] == {"bidirectional": True}
    assert result["status"] == "completed" and result["test"]["accuracy"] > 0.1
    refused = cli("train", "--dataset", "digits", "--set", "readout=every", "--epochs", "1", cwd=tmp_path)
    assert refused.returncode == 2 and "readout" in refused.stderr and "Traceback" not in refused.stderr


def test_the_paper_preset_builds_the_papers_model():
    from lossbench.sweep.inputs import build_spec, preset_fields
    from lossbench.sweep.spec import Arm
    from lossbench.sweep.trial import run_config
    from lossbench.sweep.validate import check

    spec = check(build_spec(preset_fields("greydanus2020", "paper"), {}), REGISTRY)
    config = run_config(spec, Arm(0, "ce", "gru", ()), {}, 1000, flow_profile=False)
    assert (config.readout, config.hidden, config.lr, config.batch_size) == ("all", (6,), 0.01, 100)
    assert config.params["gru"] == {"bidirectional": True}
    assert config.epochs * 36 == pytest.approx(6000, rel=0.01)  # 3600 training sequences, batch 100: 36 steps
    assert spec.identity()["readout"] == "all"
    assert "readout" not in check(build_spec(preset_fields("greydanus2020"), {}), REGISTRY).identity()


@pytest.mark.slow
def test_a_plugin_written_for_api_1_0_still_loads_and_trains(tmp_path):
    (tmp_path / "old_cell.py").write_text(textwrap.dedent('''
        from lossbench import CellSpec, hookimpl

        LOSSBENCH_API = "1.0"

        def build_old(input_size, hidden_size):
            import torch

            class Old(torch.nn.GRU):
                def forward(self, x):
                    return super().forward(x)[0]

            return Old(input_size, hidden_size, batch_first=True)

        OLD = CellSpec(name="old", summary="a GRU written for API 1.0", build=build_old, gates=("r", "z", "n"))

        @hookimpl
        def register_cells(register):
            register(OLD)
    '''))
    registry = load_registry([str(tmp_path)])
    plugin = next(p for p in registry.plugins if p.name.endswith("old_cell"))
    assert plugin.error is None and registry.get("cells", "old").inputs == frozenset()
    from lossbench import API_VERSION, train

    assert API_VERSION == "1.1"
    result = train(dataset="digits", cell="old", hidden=(4,), epochs=1, readout="mean", registry=registry, threads=1)
    assert result.status == "completed"
    assert check_cell(registry.get("cells", "old")).passed


def test_a_sweep_takes_the_readout_and_refuses_what_cannot_run(tmp_path):
    from lossbench.cli.sets import sweep_overrides
    from lossbench.sweep.inputs import build_spec, load_toml
    from lossbench.sweep.validate import check, validate

    (tmp_path / "both.toml").write_text('dataset = "digits"\ncells = ["gru", "lstm"]\nreadout = "mean"\n'
                                        'fixed = {"gru.bidirectional" = true}\n')
    spec = check(build_spec(load_toml(tmp_path / "both.toml"), {}), REGISTRY)
    assert spec.readout == "mean" and spec.identity()["readout"] == "mean" and not spec.refused
    fields = sweep_overrides([("readout", "all")], "digits", {}, {})
    assert fields["readout"] == "all" and fields["fixed"] == {}
    problems, _ = validate(build_spec({"dataset": "digits", "readout": "first"}, {}), REGISTRY)
    assert problems == ["unknown readout 'first'; known: all, last, mean"]
    per_step = build_spec({"dataset": "copy", "cells": ["gru", "lstm"], "fixed": {"gru.bidirectional": True}}, {})
    problems, refused = validate(per_step, REGISTRY)
    assert not problems and list(refused) == ["ce:gru:none"] and "target at every step" in refused["ce:gru:none"][0]
