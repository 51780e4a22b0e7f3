"""Built-in sweeps (``lossbench run --preset NAME``): the quickstart, and paper presets that put a published claim
beside this run's numbers. Each is sized for a 2-core CPU (durations in benchmarks/README.md); ``--budget paper``
gives the paper's own scale (its epochs, trials, model) where that is feasible here, and says why not where it is not.

Every claim's published figure was read from the paper (or, where marked, a source quoting it). Each preset lists
how its setup departs from the paper's (``departures``; ``paper_departures`` at ``--budget paper``): they are stored
with its claims, and every output shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lossbench.sweep.spec import SweepSpec


@dataclass(frozen=True)
class Preset:
    spec: SweepSpec
    summary: str
    paper: dict[str, Any] | None = None  # fields that give the paper's own scale (--budget paper)
    no_paper: str = ""  # why the paper's scale is not offered
    departures: tuple[str, ...] = field(default=())  # how this setup differs from the paper's, at the default scale
    paper_departures: tuple[str, ...] = field(default=())  # ... and at --budget paper


def _claim(id: str, claim: str, source: str, published: str, *checks: dict[str, Any]) -> dict[str, Any]:
    return {"id": id, "claim": claim, "source": source, "published": published, "checks": list(checks)}


QUICKSTART = Preset(  # 8 arms x (5 learning-rate points + 3 to 7 seeds) x up to 20 epochs, stopping on patience
    SweepSpec(name="quickstart", dataset="mnist1d", losses=("ce", "focal"), cells=("rnn", "gru"),
              remedy_sets=((), ("clip_norm", "orthogonal_init")), trials=5, epochs=20, seeds=7, race=True,
              hidden=(32,), batch_size=100, tuning="halving"),  # the patience rule's picks in half the time
    "ce and focal loss x tanh RNN and GRU x no remedy or clipping + orthogonal init, on MNIST-1D",
    no_paper="the quickstart reproduces no paper")

SEED = Preset(
    SweepSpec(name="seed", dataset="digits", losses=("bce", "ce"), cells=("rnn",), remedy_sets=((),),
              fixed={"rnn.activation": "tanh"}, trials=6, epochs=100, seeds=30, race=True, hidden=(64, 32),
              batch_size=64,
              optimizer="adam", claims=(_claim(
                  "seed", "Binary cross-entropy, which the seed article trains its stacked tanh RNN with and calls "
                  "the cross-entropy, trains it as well as categorical cross-entropy",
                  "the seed article (../shared/seed/), section 4",
                  "none: the article's code cannot run as printed (inputs of the wrong shape, one sigmoid output "
                  "for 10 classes)",
                  {"kind": "matches", "arm": "bce:rnn:none", "than": "ce:rnn:none", "margin": 0.02}),)),
    "the seed article's experiment done right: stacked tanh RNN 64 -> 32, Adam, bce against ce, on digits",
    no_paper="the article gives no budget that runs",
    departures=("the article's code cannot run as printed: here the digits are read as sequences and bce has one "
                "sigmoid output per class (the article: one output for 10 classes)",
                "the learning rate tuned and up to 100 epochs stopping on patience (the article: 10 epochs)"))

GREYDANUS2020 = Preset(
    SweepSpec(name="greydanus2020", dataset="mnist1d", losses=("ce",), cells=("gru",), remedy_sets=((),),
              trials=5, epochs=30, seeds=3, race=True, hidden=(64,), batch_size=100, claims=(_claim(
                  "greydanus2020", "A GRU reaches about 91% test accuracy on MNIST-1D",
                  "Greydanus 2020, Scaling down deep learning (arXiv 2011.14439), Table 1",
                  "GRU 91 +- 2% (3 runs); logistic regression 32%, MLP 68%, CNN 94%",
                  {"kind": "reaches", "arm": "ce:gru:none", "value": 0.89}),)),
    "a GRU on MNIST-1D, learning rate tuned, 20 epochs",
    paper={"trials": 1, "epochs": 167, "patience": None, "seeds": 5, "race": False, "hidden": (6,),
           "readout": "all", "fixed": {"lr": 0.01, "gru.bidirectional": True}},
    departures=("64 hidden units, the learning rate tuned, up to 30 epochs (the paper: 6 units, lr 1e-2, about 6000 "
                "steps)", "a one-direction GRU read at its last step (the paper's: bidirectional, read out over all "
                          "40 steps)"),
    # --budget paper runs the repository's model (its GRUBase: a bidirectional GRU of 6 units, a linear read-out of
    # all 40 steps of both directions) with its settings (Adam, lr 1e-2, batch 100, about 6000 steps)
    paper_departures=("trained on 3,600 of the 4,000 training signals (400 held out for validation), where the paper "
                      "trains on all 4,000", "5 seeds where the paper ran 3, so that the interval can decide the "
                      "claim at 0.89"))

MULLER2019 = Preset(
    SweepSpec(name="muller2019", dataset="mnist1d", losses=("ce", "label_smoothing"), cells=("gru",),
              remedy_sets=((),), fixed={"label_smoothing.eps": 0.1}, trials=5, epochs=30, seeds=10, race=True,
              hidden=(64,),
              claims=(
                  _claim("muller2019-changes", "Label smoothing changes a network's calibration",
                         "Muller, Kornblith & Hinton 2019, When does label smoothing help?, Table 3",
                         "ECE 0.150 without and 0.024 with label smoothing (CIFAR-100, ResNet-56); 0.071 and "
                         "0.035 (ImageNet, Inception-v4)",
                         {"kind": "differs", "arm": "label_smoothing:gru:none", "than": "ce:gru:none",
                          "metric": "test_ece", "margin": 0.01}),
                  _claim("muller2019-improves", "Label smoothing lowers the expected calibration error",
                         "Muller, Kornblith & Hinton 2019, section 3 and Table 3",
                         "lower ECE with label smoothing in all three settings of Table 3",
                         {"kind": "better", "arm": "label_smoothing:gru:none", "than": "ce:gru:none",
                          "metric": "test_ece"}))),
    "ce against label smoothing (eps 0.1) on a GRU, MNIST-1D: accuracy and calibration",
    no_paper="the paper's models (ResNet-56 on CIFAR-100, Inception-v4 on ImageNet) are not recurrent networks",
    departures=("a GRU of 64 units on MNIST-1D (the paper: ResNet-56 on CIFAR-100, Inception-v4 on ImageNet)",))

PASCANU2013 = Preset(
    SweepSpec(name="pascanu2013", dataset="temporal_order", dataset_params={"T": 100}, losses=("ce",),
              cells=("rnn",), remedy_sets=((), ("clip_norm",)), fixed={"rnn.activation": "tanh", "clip_norm.max_norm": 1.0},
              trials=4, epochs=10, seeds=5, race=True, hidden=(50,), batch_size=20, claims=(_claim(
                  "pascanu2013", "Gradient norm clipping lets a tanh RNN learn the temporal order problem at 100 steps",
                  "Pascanu, Mikolov & Bengio 2013, On the difficulty of training recurrent neural networks, "
                  "section 4.1.1 and Figure 7",
                  "100% success over 5 seeds (under 1% of 10,000 sequences misclassified) for lengths 50 to 200, "
                  "50 tanh units, SGD lr 0.01, batch 20, up to 5M updates, clipping at 1 with their regulariser",
                  {"kind": "better", "arm": "ce:rnn:clip_norm", "than": "ce:rnn:none"},
                  {"kind": "reaches", "arm": "ce:rnn:clip_norm", "value": 0.99}),)),
    "a tanh RNN of 50 units on the temporal order problem at T = 100, with and without clipping at 1",
    no_paper="up to 5 million updates per run: days on a 2-core CPU",
    departures=("Adam with a tuned learning rate (the paper: SGD, lr 0.01)", "up to 10 epochs (the paper: up to 5 "
                "million updates)", "clipping without the paper's regulariser"))

LE2015 = Preset(
    SweepSpec(name="le2015", dataset="digits", dataset_params={"mode": "pixels"}, losses=("ce",),
              cells=("rnn", "lstm"), remedy_sets=((), ("identity_init",)), fixed={"rnn.activation": "relu"},
              trials=5, epochs=30, seeds=5, race=True, hidden=(100,), claims=(_claim(
                  "le2015", "An IRNN (ReLU RNN, identity-initialised recurrent weights) matches an LSTM on "
                  "pixel-by-pixel digits",
                  "Le, Jaitly & Hinton 2015, A simple way to initialize recurrent networks of rectified linear units",
                  "IRNN 97.0% on pixel-by-pixel MNIST, tanh RNN 35.0% (as quoted in Cooijmans et al. 2016, "
                  "Table 1); the paper's LSTM figure was not checked",
                  {"kind": "matches", "arm": "ce:rnn:identity_init", "than": "ce:lstm:none", "margin": 0.05}),)),
    "IRNN against LSTM (and a plain ReLU RNN) on scikit-learn's digits read pixel by pixel (64 steps)",
    no_paper="784-step MNIST for about a million updates: days on a 2-core CPU; the digits stand in offline",
    departures=("digits pixel by pixel (64 steps, 1797 images) stands in for MNIST's 784 steps, which would have to be "
                "downloaded (with MNIST's IDX files at hand: --dataset smnist --set smnist.path=DIR --set "
                "smnist.mode=pixels)", "Adam with a tuned learning rate and up to 30 epochs (the paper: about a "
                "million updates)"))

TALLEC2018 = Preset(
    SweepSpec(name="tallec2018", dataset="copy", dataset_params={"T": 100, "n_train": 4000},
              losses=("ce",), cells=("lstm",), remedy_sets=((), ("chrono_init",)), fixed={"chrono_init.t_max": 150},
              trials=4, epochs=10, seeds=3, race=True, hidden=(128,), optimizer="rmsprop", claims=(
                  _claim("tallec2018-flow", "Chrono initialisation keeps gradients flowing over long delays",
                         "Tallec & Ollivier 2018, Can recurrent neural networks warp time?, section 5",
                         "chrono biases b_f ~ log(U(1, T_max - 1)) so that the forget gate keeps information for up "
                         "to T_max steps; measured here as the gradient reaching the first step at initialisation",
                         {"kind": "better", "arm": "ce:lstm:chrono_init", "than": "ce:lstm:none",
                          "metric": "flow_ratio_init"}),
                  _claim("tallec2018-copy", "Chrono initialisation learns the copy task better than the standard "
                         "initialisation",
                         "Tallec & Ollivier 2018, copy task figure",
                         "chrono 'largely outperforms' standard initialisation at T = 500 and 2000 (128 units, "
                         "RMSprop lr 1e-3); loss curves only, no figure in the text",
                         {"kind": "better", "arm": "ce:lstm:chrono_init", "than": "ce:lstm:none"}))),
    "LSTM of 128 units with and without chrono initialisation on the copy task at T = 100",
    no_paper="delays of 500 and 2000 steps for many thousand updates: days on a 2-core CPU",
    departures=("the copy task at T = 100 (the paper: 500 and 2000)", "the baseline LSTM keeps torch's "
                "initialisation (the paper's sets forget-gate biases to 1)", "up to 10 epochs of 4000 sequences"))

PRESETS: dict[str, Preset] = {preset.spec.name: preset for preset in (
    QUICKSTART, SEED, GREYDANUS2020, MULLER2019, PASCANU2013, LE2015, TALLEC2018)}
