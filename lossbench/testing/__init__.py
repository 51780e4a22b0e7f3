"""lossbench's conformance kit: check that a plugin's components do what lossbench expects of them.

Run it from a plugin's own tests (pytest shows every failed check, one line each)::

    # tests/test_my_plugin.py
    from lossbench.testing import assert_conforms, check_loss, check_plugin

    def test_my_plugin_conforms():
        # a module object, a dotted name or a path to a .py file; params: overrides per component name, or a
        # list of them (the component is checked once per set)
        assert_conforms("my_plugin", params={"my_dataset": [{"n_train": 64}, {"n_train": 64, "ragged": True}]})

    def test_one_loss():
        import my_losses
        report = check_loss(my_losses.SCALED_CE)   # a Report of (component, check, passed, message)
        print(report)                          # PASS / NOTE / FAIL, one line per check
        report.raise_on_failure()

A failed check says what is wrong and what was expected, for instance
``loss scaled_ce: value at logits +-1e4 is inf; compute from log_softmax / logsigmoid for stability``.

- :func:`check_loss` (spec, params=None, module=None): finite scalar, gradient, stable at logits +-1e4,
  falls as the true-class logit rises from -8 to 3, softmax applied once, float64, a mean over N, torch not
  imported by the plugin module.
- :func:`check_cell` (spec, params=None): a torch Module, built and run without reseeding torch, output [B, T, hidden],
  each sequence of a batch on its own, causal, a recurrence (step t depends on earlier steps), gradients reach every parameter, ``weight_hh*`` of
  the layout ``recurrent_weight`` declares (a note when missing), trains inside ``SequenceModel``.
- :func:`check_dataset` (spec, params=None): well formed, ``per_step`` / ``targets`` as declared, no sequence
  in two splits, float32 / int64, finite (padding included), padded after its lengths when they are unequal, a
  training step of a small GRU reading each sequence at its length, deterministic.
- :func:`check_remedy` (spec, cell_spec=None, params=None): every point of the Remedy on a small model built
  from a compatible cell (by default the first of the kit's own fused rnn, gru, lstm cells it accepts).
- :func:`check_plugin` (module_or_path, params=None, only=None, skip=()): all of the above for what a module
  registers, and the module itself (no torch at import, its ``LOSSBENCH_API``); :func:`assert_conforms` raises
  ``AssertionError`` listing every failure. ``lossbench check`` runs the same on what is installed.

Every check fails, naming the component, when plugin code changes torch's global state (default dtype, grad
mode); the state is put back. The guide, with an example of each kind: ``docs/plugins.md``.

Importing this package does not import torch; the checks import it when they run.
"""

from __future__ import annotations

from typing import Any

from lossbench.testing.report import CheckResult, ConformanceError, Report

__all__ = ["CheckResult", "ConformanceError", "Report", "assert_conforms", "check_cell", "check_dataset",
           "check_loss", "check_plugin", "check_remedy"]

_LAZY = {
    "check_loss": "lossbench.testing.losses",
    "check_cell": "lossbench.testing.cells",
    "check_dataset": "lossbench.testing.datasets",
    "check_remedy": "lossbench.testing.remedies",
    "check_plugin": "lossbench.testing.plugin",
    "assert_conforms": "lossbench.testing.plugin",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lossbench.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The names here and those handed out on first use, so that ``dir()`` and completion show them too."""
    return sorted({*globals(), *_LAZY})
