"""check_loss: what a LossSpec must do (finite, stable, a mean, decreasing in the true-class logit, torch-free import)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lossbench.api.specs import LossSpec
from lossbench.testing.report import Report, begin, fail
from lossbench.testing.threads import in_one_thread

_CLASSES = {"binary": 2, "multiclass": 10}


@in_one_thread
def check_loss(spec: LossSpec, params: Mapping[str, Any] | None = None, module: object = None) -> Report:
    """Check one loss. ``params`` override its defaults; ``module`` (a module, dotted name or ``.py`` path)
    is import-checked for torch, by default the module that defines ``spec.build``."""
    checks, resolved = begin(spec, LossSpec, "build", "build(**params) returning fn(logits, target)", params)
    if resolved is None:
        return checks.report
    ok, fn = checks.run("build", _build, spec, resolved)
    if ok:
        for kind in sorted(spec.targets):
            classes = _CLASSES[kind]
            suffix = f" ({kind}, C={classes})"
            checks.run("finite scalar" + suffix, _finite_scalar, fn, classes)
            checks.run("gradient" + suffix, _gradient, fn, classes)
            checks.run("stable at +-1e4" + suffix, _extreme_logits, fn, classes)
            checks.run("decreasing in true logit" + suffix, _decreasing, fn, classes)
            checks.run("softmax applied once" + suffix, _softmax_once, fn, classes)
            checks.run("float64" + suffix, _float64, fn, classes)
            checks.run("mean over N" + suffix, _mean_reduction, fn, classes)
    from lossbench.testing.imports import check_no_heavy_import

    target = module if module is not None else getattr(spec.build, "__module__", None)
    checks.run("no torch at import", check_no_heavy_import, target, "loss plugin module")
    return checks.report


def _build(spec: LossSpec, params: dict[str, Any]) -> Any:
    fn = spec.build(**params)
    if not callable(fn):
        fail(f"build(**defaults) returned {type(fn).__name__}; expected a callable fn(logits[N, C], target[N])")
    return fn


def _batch(classes: int, n: int = 16, dtype: Any = None, seed: int = 0) -> tuple[Any, Any]:
    import torch

    generator = torch.Generator().manual_seed(seed + classes)
    logits = torch.randn(n, classes, generator=generator, dtype=dtype or torch.float32)
    target = torch.randint(0, classes, (n,), generator=generator)
    target[:classes] = torch.arange(min(classes, n))  # every class appears
    return logits, target


def _value(fn: Any, logits: Any, target: Any, where: str) -> Any:
    import torch

    value = fn(logits, target)
    if not isinstance(value, torch.Tensor):
        fail(f"returned {type(value).__name__} {where}; expected a scalar torch tensor")
    if value.ndim != 0:
        fail(f"returned shape {list(value.shape)} {where}; expected a scalar (reduce with a mean over N)")
    return value


def _finite_scalar(fn: Any, classes: int) -> None:
    import torch

    logits, target = _batch(classes)
    value = _value(fn, logits, target, "on random logits")
    if not torch.isfinite(value):
        fail(f"value on random logits is {value.item()}; expected a finite number")
    if value.dtype != logits.dtype:
        fail(f"value has dtype {value.dtype} for {logits.dtype} logits; expected the logits' dtype")


def _gradient(fn: Any, classes: int) -> None:
    import torch

    logits, target = _batch(classes)
    logits.requires_grad_(True)
    value = _value(fn, logits, target, "on random logits")
    if not value.requires_grad:
        fail("value does not depend on the logits (no gradient); compute it from the logits with torch ops")
    value.backward()
    if logits.grad is None or not bool(logits.grad.abs().sum() > 0):
        fail("gradient with respect to the logits is zero or missing; expected gradient to flow to the logits")
    if not bool(torch.isfinite(logits.grad).all()):
        fail("gradient on random logits is not finite; expected finite gradients")


def _extreme_logits(fn: Any, classes: int) -> None:
    import torch

    logits, target = _batch(classes, n=12, seed=1)
    rows = torch.arange(logits.shape[0])
    extreme = torch.where(logits > 0, 1e4, -1e4)
    # half the rows confidently right, half confidently wrong, whatever the random signs said
    extreme[rows, target] = torch.where(rows % 2 == 0, 1e4, -1e4)
    wrong = (target + 1) % classes
    extreme[rows[1::2], wrong[1::2]] = 1e4
    extreme.requires_grad_(True)
    value = _value(fn, extreme, target, "at logits +-1e4")
    if not bool(torch.isfinite(value)):
        fail(f"value at logits +-1e4 is {value.item()}; compute from log_softmax / logsigmoid for stability")
    value.backward()
    if extreme.grad is None or not bool(torch.isfinite(extreme.grad).all()):
        fail("gradient at logits +-1e4 is not finite; compute from log_softmax / logsigmoid for stability")


TRUE_LOGITS = (-8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)  # from well below the others (about 0) to well above


def _decreasing(fn: Any, classes: int) -> None:
    """The loss must fall as the true-class logit rises from well below the others to well above them: a loss
    computed from probabilities or from raw logits as if they were probabilities (a Brier score on logits has its
    minimum at logit 1) turns back up. The top, 3, stays below where label smoothing's minimum lies (about 4.5 at
    eps 0.1, 3.2 at eps 0.3, with 10 classes): a smoothed loss rightly rises again beyond it."""
    import torch

    generator = torch.Generator().manual_seed(2)
    n = 8
    noise = 0.1 * torch.randn(n, classes, generator=generator, dtype=torch.float64)
    target = torch.arange(n) % classes
    values = []
    for true_logit in TRUE_LOGITS:
        logits = noise.clone()
        logits[torch.arange(n), target] = true_logit
        values.append(float(_value(fn, logits, target, "in float64")))
    rises = next((i for i in range(1, len(values)) if not values[i] < values[i - 1]), None)
    if rises is not None:
        shown = ", ".join(f"{v:.4g}" for v in values)
        fail(f"loss does not fall as the true-class logit rises from {TRUE_LOGITS[0]:g} to {TRUE_LOGITS[-1]:g} "
             f"(the others near 0): from {TRUE_LOGITS[rises - 1]:g} to {TRUE_LOGITS[rises]:g} it goes from "
             f"{values[rises - 1]:.4g} to {values[rises]:.4g} (values {shown}); expected a strictly decreasing loss "
             f"of the logits (is it computed on raw logits as if they were probabilities?)")


def _softmax_once(fn: Any, classes: int) -> None:
    """A loss on logits that equals cross-entropy of ``softmax(logits)`` applies softmax twice: its gradient all
    but vanishes where the true class is far behind."""
    import torch

    logits, target = _batch(classes, dtype=torch.float64, seed=4)
    logits = 3.0 * logits
    value = float(_value(fn, logits, target, "on random logits"))
    twice = float(torch.nn.functional.cross_entropy(torch.softmax(logits, dim=-1), target))
    plain = float(torch.nn.functional.cross_entropy(logits, target))
    if abs(value - twice) <= 1e-9 * max(1.0, abs(twice)) and abs(plain - twice) > 1e-3:
        fail("the loss equals cross-entropy of softmax(logits): softmax is applied twice (F.cross_entropy already "
             "applies log_softmax); expected fn to pass the raw logits to cross_entropy")


def _float64(fn: Any, classes: int) -> None:
    import torch

    logits, target = _batch(classes, dtype=torch.float64)
    logits.requires_grad_(True)
    value = _value(fn, logits, target, "for float64 logits")
    if value.dtype != torch.float64:
        fail(f"value for float64 logits has dtype {value.dtype}; expected float64 (do not cast to float32)")
    value.backward()
    if not bool(torch.isfinite(value)) or logits.grad is None or not bool(torch.isfinite(logits.grad).all()):
        fail("value or gradient for float64 logits is not finite; expected finite")
    single = _value(fn, logits.detach().float(), target, "on random logits")
    if not torch.allclose(single.double(), value.detach(), rtol=1e-3, atol=1e-5):
        fail(f"float64 value {value.item():.6g} differs from float32 value {single.item():.6g}; expected the same loss")


def _mean_reduction(fn: Any, classes: int) -> None:
    import torch

    logits, target = _batch(classes, dtype=torch.float64, seed=3)
    once = float(_value(fn, logits, target, "on random logits"))
    twice = float(_value(fn, torch.cat([logits, logits]), torch.cat([target, target]), "on a repeated batch"))
    if not (math.isfinite(once) and math.isfinite(twice)):
        fail(f"the loss of a batch is {once:.4g} and of that batch repeated twice {twice:.4g}; expected two equal "
             f"finite values (reduce with a mean over N)")
    if not abs(twice - once) <= 1e-6 * max(1.0, abs(once)):
        ratio = f"{twice / once:.3g} times" if once else f"{twice:.4g}, against {once:.4g} for"
        fail(f"the loss of a batch repeated twice is {ratio} the loss of the batch; expected equal "
             f"(reduce with a mean over N, not a sum)")
