"""The built-in losses: each against an independent reference, plus stability, gradients, monotonicity.

The specs are loaded by calling the plugin's ``register_losses`` hook directly (no discovery system).
References are torch's own functionals where one exists and the paper's formula written out in float64
(through ``softmax``, not through the helpers under test) otherwise; bi-tempered uses the authors'
published test vectors.
"""

from __future__ import annotations

import inspect
import math
import pickle
import subprocess
import sys
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lossbench import Categorical, Float, Int
from lossbench_builtins import loss_functions as lf
from lossbench_builtins.losses import register_losses

_found: list = []
register_losses(_found.append)
SPECS = {spec.name: spec for spec in _found}

NAMES = ["ce", "bce", "label_smoothing", "focal", "poly1", "gce", "sce", "taylor_ce", "bitempered", "brier"]


def _corner_params(spec) -> list[dict]:
    """Defaults, then each tunable at the low and high end of its range (and focal's gamma below 1)."""
    cases = [dict(spec.defaults)]
    for key, param in spec.space.items():
        if isinstance(param, (Float, Int)):
            for value in (param.low, param.high):
                cases.append({**spec.defaults, key: value})
        elif isinstance(param, Categorical):
            cases.extend({**spec.defaults, key: value} for value in param.choices)
    if spec.name == "focal":
        cases.append({**spec.defaults, "gamma": 0.5})
        cases.append({**spec.defaults, "gamma": 2.0, "alpha": 0.25})
    if spec.name == "bitempered":
        cases.append({**spec.defaults, "t1": 1.0, "t2": 1.0})
        cases.append({**spec.defaults, "t1": 0.2, "t2": 4.0})
    return cases


CASES = [pytest.param(name, params, id=f"{name}-{params}") for name in NAMES for params in _corner_params(SPECS[name])]


def _loss(name: str, **params):
    return SPECS[name].build(**SPECS[name].resolve(params))


def _random(n: int, c: int, dtype=torch.float64, scale: float = 2.0, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(n, c, generator=gen, dtype=torch.float64) * scale).to(dtype)
    target = torch.randint(0, c, (n,), generator=gen)
    return logits, target


def _p_t64(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """p_t through plain softmax in float64: the references' own route."""
    p = torch.softmax(logits.double(), dim=-1)
    return p[torch.arange(len(target)), target]


# ------------------------------------------------------------------------------------------ registration
def test_registers_exactly_the_builtin_losses():
    assert [spec.name for spec in _found] == NAMES
    for spec in _found:
        assert spec.targets == frozenset({"binary", "multiclass"})
        assert spec.summary and "\n" not in spec.summary and len(spec.summary) <= 110, spec.name


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("ce", "bce", "brier")])
def test_summaries_cite_a_paper(name):
    summary = SPECS[name].summary
    assert any(str(year) in summary for year in range(1950, 2030)), summary


@pytest.mark.parametrize("name", NAMES)
def test_defaults_validate_against_space_and_the_built_loss_gets_every_parameter(name):
    spec = SPECS[name]
    for key, param in spec.space.items():
        assert param.validate(f"{name}.{key}", spec.defaults[key]) == spec.defaults[key]
    assert spec.resolve() == dict(spec.defaults)
    fn = spec.build(**spec.resolve())
    # the implementation takes (logits, target) and the spec's parameters, none with a default of its own
    implementation = fn.func if isinstance(fn, partial) else fn
    parameters = list(inspect.signature(implementation).parameters.values())
    assert [p.name for p in parameters[2:]] == list(spec.defaults)
    assert all(p.default is inspect.Parameter.empty for p in parameters), name
    assert (fn.keywords if isinstance(fn, partial) else {}) == dict(spec.defaults)
    with pytest.raises(TypeError):
        spec.build(**spec.resolve(), not_a_parameter=1)


def test_expected_search_spaces():
    expected = {
        "label_smoothing": {"eps": Float(0.0, 0.3)},
        "focal": {"gamma": Float(0.0, 5.0)},
        "poly1": {"eps": Float(-1.0, 5.0)},
        "gce": {"q": Float(0.05, 1.0)},
        "sce": {"alpha": Float(0.01, 1.0, log=True), "beta": Float(0.1, 10.0, log=True)},
        "taylor_ce": {"order": Int(1, 10)},
        "bitempered": {"t1": Float(0.2, 1.0), "t2": Float(1.0, 4.0)},
    }
    for name in NAMES:
        assert dict(SPECS[name].space) == expected.get(name, {}), name
    assert SPECS["focal"].defaults == {"gamma": 2.0, "alpha": None}
    assert SPECS["bitempered"].defaults == {"t1": 0.8, "t2": 1.2, "num_iters": 5}


def test_plugin_module_does_not_import_torch():
    code = "import lossbench_builtins.losses, sys; assert 'torch' not in sys.modules, 'torch imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_built_losses_pickle():
    for name in NAMES:
        fn = pickle.loads(pickle.dumps(_loss(name)))
        logits, target = _random(5, 4)
        assert torch.equal(fn(logits, target), _loss(name)(logits, target))


# ---------------------------------------------------------------------------------------- references
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
@pytest.mark.parametrize("c", [2, 5])
def test_ce_and_bce_match_torch(dtype, tol, c):
    logits, target = _random(16, c, dtype)
    torch.testing.assert_close(_loss("ce")(logits, target), F.cross_entropy(logits, target), rtol=0, atol=0)
    one_hot = F.one_hot(target, c).to(dtype)
    ref = F.binary_cross_entropy_with_logits(logits, one_hot, reduction="sum") / len(target)
    torch.testing.assert_close(_loss("bce")(logits, target), ref, rtol=tol, atol=tol)
    # written out: sum over classes of y log p + (1 - y) log(1 - p), p = sigmoid (float64)
    p = torch.sigmoid(logits.double())
    y = one_hot.double()
    written = -(y * torch.log(p) + (1 - y) * torch.log1p(-p)).sum(1).mean()
    assert abs(_loss("bce")(logits, target).item() - written.item()) < max(tol, 1e-12) * written.item() + 1e-12


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_label_smoothing_matches_torch_and_formula(eps):
    logits, target = _random(16, 5)
    got = _loss("label_smoothing", eps=eps)(logits, target)
    torch.testing.assert_close(got, F.cross_entropy(logits, target, label_smoothing=eps), rtol=0, atol=1e-14)
    log_p = torch.log(torch.softmax(logits, 1))
    written = ((1 - eps) * -log_p[torch.arange(16), target] + eps * -log_p.mean(1)).mean()
    assert abs(got.item() - written.item()) < 1e-12
    if eps == 0.0:
        assert abs(got.item() - F.cross_entropy(logits, target).item()) < 1e-14


@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 2.0, 5.0])
def test_focal_matches_formula(gamma):
    logits, target = _random(32, 4)
    pt = _p_t64(logits, target)
    written = (-((1 - pt) ** gamma) * torch.log(pt)).mean()
    got = _loss("focal", gamma=gamma)(logits, target)
    assert abs(got.item() - written.item()) < 1e-12 * max(1.0, written.item())
    # alpha is one scalar weight on every class
    got_alpha = _loss("focal", gamma=gamma, alpha=0.25)(logits, target)
    assert abs(got_alpha.item() - 0.25 * written.item()) < 1e-12


def test_focal_gamma_zero_is_cross_entropy_exactly():
    for dtype in (torch.float32, torch.float64):
        logits, target = _random(32, 6, dtype)
        assert torch.equal(_loss("focal", gamma=0.0)(logits, target), F.cross_entropy(logits, target))


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_focal_binary_matches_torchvision_sigmoid_focal(gamma):
    """With C = 2 the softmax over [0, z] is sigmoid(z): the softmax focal loss must equal torchvision's
    sigmoid_focal_loss (alpha off), written out here from its source's formula."""
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(64, generator=gen, dtype=torch.float64) * 3
    y = torch.randint(0, 2, (64,), generator=gen)
    yf = y.double()
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, yf, reduction="none")
    p_t = p * yf + (1 - p) * (1 - yf)
    reference = (ce * (1 - p_t) ** gamma).mean()
    logits = torch.stack([torch.zeros_like(z), z], dim=1)
    got = _loss("focal", gamma=gamma)(logits, y)
    assert abs(got.item() - reference.item()) < 1e-12


@pytest.mark.parametrize("alpha,expected", [("0.5", 0.5), ("none", None), (None, None), (1, 1.0)])
def test_focal_alpha_coercion(alpha, expected):
    fn = _loss("focal", alpha=alpha)
    assert fn.keywords["alpha"] == expected


@pytest.mark.parametrize("alpha", [1.5, -0.1, "abc"])
def test_focal_alpha_out_of_range_is_refused(alpha):
    with pytest.raises(ValueError):
        _loss("focal", alpha=alpha)


@pytest.mark.parametrize("eps", [-1.0, 0.0, 1.0, 5.0])
def test_poly1_matches_formula(eps):
    logits, target = _random(32, 4)
    pt = _p_t64(logits, target)
    written = (-torch.log(pt) + eps * (1 - pt)).mean()
    assert abs(_loss("poly1", eps=eps)(logits, target).item() - written.item()) < 1e-12


@pytest.mark.parametrize("q", [0.05, 0.3, 0.7, 1.0])
def test_gce_matches_formula(q):
    logits, target = _random(32, 4)
    pt = _p_t64(logits, target)
    written = ((1 - pt**q) / q).mean()
    assert abs(_loss("gce", q=q)(logits, target).item() - written.item()) < 1e-12


def test_gce_limits():
    logits, target = _random(32, 4)
    pt = _p_t64(logits, target)
    assert abs(lf.gce(logits, target, q=1.0).item() - (1 - pt).mean().item()) < 1e-14  # MAE
    ce = F.cross_entropy(logits, target).item()
    assert abs(lf.gce(logits, target, q=1e-7).item() - ce) < 1e-5 * ce  # q -> 0 is CE


@pytest.mark.parametrize("alpha,beta", [(0.1, 1.0), (0.01, 10.0), (1.0, 0.1)])
def test_sce_matches_formula(alpha, beta):
    logits, target = _random(32, 4)
    p = torch.softmax(logits, 1)
    one_hot = F.one_hot(target, 4).double()
    log_y = torch.where(one_hot > 0, torch.log(one_hot), torch.full_like(one_hot, -4.0))  # log 0 := A = -4
    rce = -(p * log_y).sum(1)
    ce = -torch.log(p[torch.arange(32), target])
    written = (alpha * ce + beta * rce).mean()
    assert abs(_loss("sce", alpha=alpha, beta=beta)(logits, target).item() - written.item()) < 1e-12


@pytest.mark.parametrize("order", [1, 2, 3, 10])
def test_taylor_ce_matches_formula(order):
    logits, target = _random(32, 4)
    x = (1 - _p_t64(logits, target)).numpy()
    written = np.mean(sum(x**k / k for k in range(1, order + 1)))
    assert abs(_loss("taylor_ce", order=order)(logits, target).item() - written) < 1e-12


def test_taylor_ce_tends_to_ce_with_order():
    logits, target = _random(32, 4, scale=0.3)
    ce = F.cross_entropy(logits, target).item()
    gaps = [ce - lf.taylor_ce(logits, target, order=k).item() for k in (1, 2, 5, 20, 200)]
    assert all(g > 0 for g in gaps) and gaps == sorted(gaps, reverse=True)
    assert gaps[-1] < 1e-6


def test_brier_matches_formula():
    logits, target = _random(32, 5)
    p = torch.softmax(logits, 1).numpy()
    y = np.eye(5)[target.numpy()]
    written = np.mean(np.sum((p - y) ** 2, axis=1))
    assert abs(_loss("brier")(logits, target).item() - written) < 1e-12


# ---------------------------------------------------------------------------------------- bi-tempered
LABELS = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.2, 0.8, 0.0]]
ACTIVATIONS = [[-0.5, 0.1, 2.0], [0.1, 1.5, -5.0], [4.0, -3.0, -6.0]]
AUTHORS_ITERS = 5  # the authors' default number of iterations, which their test vectors use


@pytest.mark.parametrize("dtype,atol", [(torch.float64, 2e-8), (torch.float32, 1e-6)])
def test_bitempered_authors_vectors(dtype, atol):
    """google/bi-tempered-loss tensorflow/loss_test.py, test_loss_value, at the default 5 iterations."""
    a = torch.tensor(ACTIVATIONS, dtype=dtype)
    y = torch.tensor(LABELS, dtype=dtype)
    got = lf.bi_tempered_per_row(a, y, 0.5, 1.5, AUTHORS_ITERS)
    torch.testing.assert_close(got, torch.tensor([0.02301914, 0.18972909, 0.93874922], dtype=dtype),
                               rtol=0, atol=atol)


def test_bitempered_authors_vectors_finite_support():
    """t2 < 1 (bisection); the authors' values were computed in float32 with 20 bisection steps, so they
    carry about 1e-6 of error themselves (the normalised probabilities here sum to 1 within 1e-14)."""
    a = torch.tensor(ACTIVATIONS, dtype=torch.float64)
    y = torch.tensor(LABELS, dtype=torch.float64)
    got = lf.bi_tempered_per_row(a, y, 0.5, 0.8, num_iters=20)
    torch.testing.assert_close(got, torch.tensor([0.21646356, 0.41836615, 1.33997854], dtype=torch.float64),
                               rtol=0, atol=1e-6)


def test_bitempered_authors_dynamic_temperatures_and_label_smoothing():
    y = torch.tensor([[0.2, 0.5, 0.3]], dtype=torch.float64)
    a = torch.tensor([[-0.5, 0.1, 2.0]], dtype=torch.float64)
    expected = [1.6583576, 0.45677936, 0.34298314, 0.26295574]
    for (t1, t2), value in zip([(0.9, 1.1), (0.8, 1.2), (0.7, 1.3)], expected[1:]):
        assert abs(lf.bi_tempered_per_row(a, y, t1, t2, AUTHORS_ITERS).item() - value) < 1e-6, (t1, t2)
    # At t1 = t2 = 1 the authors switch to softmax cross-entropy; the Bregman divergence (continuous in
    # the temperatures, and what this function returns) is that minus the labels' entropy.
    entropy = -(y * torch.log(y)).sum().item()
    assert abs(lf.bi_tempered_per_row(a, y, 1.0, 1.0, AUTHORS_ITERS).item() + entropy - expected[0]) < 1e-6
    # test_label_smoothing: the authors smooth one-hot labels as (1 - C/(C-1) ls) y + ls/(C-1)
    ls, c = 0.1, 3
    smoothed = (1 - c / (c - 1) * ls) * torch.eye(3, dtype=torch.float64) + ls / (c - 1)
    got = lf.bi_tempered_per_row(torch.tensor(ACTIVATIONS, dtype=torch.float64), smoothed, 0.5, 1.5, AUTHORS_ITERS)
    torch.testing.assert_close(got, torch.tensor([0.76652711, 0.08627685, 1.35443510], dtype=torch.float64),
                               rtol=0, atol=1e-6)


def test_bitempered_t1_t2_one_is_cross_entropy():
    for dtype in (torch.float32, torch.float64):
        logits, target = _random(32, 5, dtype)
        assert torch.equal(_loss("bitempered", t1=1.0, t2=1.0)(logits, target), F.cross_entropy(logits, target))
    logits, target = _random(32, 5)
    per_row = lf.bi_tempered_per_row(logits, F.one_hot(target, 5).double(), 1.0, 1.0, AUTHORS_ITERS)
    torch.testing.assert_close(per_row, F.cross_entropy(logits, target, reduction="none"), rtol=0, atol=1e-13)
    # soft labels: cross-entropy minus the labels' entropy (the KL divergence)
    y = torch.softmax(torch.randn(32, 5, dtype=torch.float64), 1)
    kl = (y * (torch.log(y) - torch.log_softmax(logits, 1))).sum(1)
    torch.testing.assert_close(lf.bi_tempered_per_row(logits, y, 1.0, 1.0, AUTHORS_ITERS), kl, rtol=0, atol=1e-13)


def tempered_softmax(activations, t, num_iters):
    """The tempered softmax exp_t(a - λ, t) with sum 1 (softmax at t == 1), as the bi-tempered loss computes it."""
    log_p, positive = lf._tempered_log_probs(activations, t, num_iters)
    return torch.where(positive, torch.exp(log_p), torch.zeros_like(log_p))


@pytest.mark.parametrize("t", [0.5, 0.8, 1.0, 1.2, 2.0, 4.0])
def test_tempered_softmax_is_normalised(t):
    logits, _ = _random(64, 10, scale=10.0)
    p = tempered_softmax(logits, t, num_iters=20 if t < 1 else AUTHORS_ITERS)
    assert torch.all(p >= 0)
    torch.testing.assert_close(p.sum(1), torch.ones(64, dtype=torch.float64), rtol=0, atol=1e-12)
    shifted = tempered_softmax(logits + 3.7, t, num_iters=20 if t < 1 else AUTHORS_ITERS)
    torch.testing.assert_close(shifted, p, rtol=0, atol=1e-12)
    if t == 1.0:
        torch.testing.assert_close(p, torch.softmax(logits, 1), rtol=0, atol=1e-15)


@pytest.mark.parametrize("t1,t2", [(0.5, 1.5), (0.8, 1.2), (0.2, 4.0), (1.0, 2.0), (0.5, 1.0)])
def test_bitempered_gradient_is_the_authors_closed_form(t1, t2):
    """The authors' custom gradient: (p - y) p^(t2-t1) - escort * sum_k (p - y) p^(t2-t1),
    escort = p^t2 / sum p^t2, with p the (converged) tempered softmax."""
    gen = torch.Generator().manual_seed(7)
    a = (torch.randn(6, 4, generator=gen, dtype=torch.float64) * 3).requires_grad_()
    y = torch.softmax(torch.randn(6, 4, generator=gen, dtype=torch.float64), 1)
    lf.bi_tempered_per_row(a, y, t1, t2, AUTHORS_ITERS).sum().backward()
    p = tempered_softmax(a.detach(), t2, AUTHORS_ITERS)
    forget = p ** (t2 - t1)
    delta = (p - y) * forget
    escort = p**t2 / (p**t2).sum(1, keepdim=True)
    expected = delta - escort * delta.sum(1, keepdim=True)
    torch.testing.assert_close(a.grad, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("num_iters", [0, -1, 2.5])
def test_bitempered_refuses_bad_num_iters(num_iters):
    with pytest.raises(ValueError):
        _loss("bitempered", num_iters=num_iters)


# ------------------------------------------------------------------------------ properties of all losses
@pytest.mark.parametrize("name,params", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_finite_value_and_gradient_at_huge_logits(name, params, dtype):
    fn = SPECS[name].build(**params)
    n, c = 8, 4
    gen = torch.Generator().manual_seed(1)
    target = torch.randint(0, c, (n,), generator=gen)
    signs = torch.where(torch.rand(n, c, generator=gen) < 0.5, -1.0, 1.0)
    random_signs = signs * 1e4
    right = torch.full((n, c), -1e4)  # the true class at +1e4, the rest at -1e4: p_t rounds to 1
    right[torch.arange(n), target] = 1e4
    wrong = -right  # the true class at -1e4, the rest at +1e4: p_t rounds to 0
    for logits in (random_signs, right, wrong):
        x = logits.to(dtype).requires_grad_()
        value = fn(x, target)
        assert torch.isfinite(value), (name, params, value)
        value.backward()
        assert torch.all(torch.isfinite(x.grad)), (name, params, x.grad)
    # and right answers cost (almost) nothing for the losses that are 0 at p_t = 1
    with torch.no_grad():
        at_right = fn(right.to(dtype), target).item()
    if name not in ("label_smoothing", "bitempered"):
        assert abs(at_right) < 1e-6, (name, at_right)


@pytest.mark.parametrize("name,params", CASES)
@pytest.mark.parametrize("c", [2, 4])
def test_gradcheck_float64(name, params, c):
    fn = SPECS[name].build(**params)
    logits, target = _random(5, c, seed=11 + c)
    x = logits.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda z: fn(z, target), (x,), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_gradcheck_bitempered_finite_support():
    a, _ = _random(4, 3, seed=5)
    y = torch.softmax(torch.randn(4, 3, dtype=torch.float64), 1)
    x = a.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda z: lf.bi_tempered_per_row(z, y, 0.5, 0.8, 30), (x,),
                                    eps=1e-6, atol=1e-7, rtol=1e-5)


GRID = torch.linspace(-10.0, 10.0, 81, dtype=torch.float64)


def _losses_along_true_logit(fn, c: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(1, c, generator=gen, dtype=torch.float64)
    target = torch.tensor([seed % c])
    values = []
    for z in GRID:
        logits = base.clone()
        logits[0, target] = z
        values.append(fn(logits, target).item())
    return np.array(values)


@pytest.mark.parametrize("name,params", [case for case in CASES if case.values[0] != "label_smoothing"])
@pytest.mark.parametrize("c", [2, 5])
def test_loss_falls_as_true_logit_rises(name, params, c):
    fn = SPECS[name].build(**params)
    for seed in range(3):
        values = _losses_along_true_logit(fn, c, seed)
        assert np.all(np.diff(values) < 0), (name, params, values)


@pytest.mark.parametrize("eps", [0.1, 0.3])
def test_label_smoothing_falls_until_its_target_probability_then_rises(eps):
    """Label smoothing is not monotone: it is minimal where p_t = 1 - eps + eps / C."""
    c = 5
    fn = _loss("label_smoothing", eps=eps)
    target = torch.tensor([0])
    p_star = 1 - eps + eps / c
    z_star = math.log(p_star * (c - 1) / (1 - p_star))  # with the other logits at 0
    values = []
    for z in GRID:
        logits = torch.zeros(1, c, dtype=torch.float64)
        logits[0, 0] = z
        values.append(fn(logits, target).item())
    diffs = np.diff(values)
    mids = ((GRID[1:] + GRID[:-1]) / 2).numpy()
    assert np.all(diffs[mids < z_star - 0.2] < 0)
    assert np.all(diffs[mids > z_star + 0.2] > 0)
    assert np.all(np.diff(_losses_along_true_logit(_loss("label_smoothing", eps=0.0), c, 0)) < 0)


@pytest.mark.parametrize("name,params", CASES)
def test_returns_scalar_mean_over_n(name, params):
    fn = SPECS[name].build(**params)
    logits, target = _random(12, 3, seed=4)
    value = fn(logits, target)
    assert value.shape == () and value.dtype == torch.float64
    singles = [fn(logits[i : i + 1], target[i : i + 1]).item() for i in range(12)]
    assert abs(value.item() - float(np.mean(singles))) < 1e-12
    doubled = fn(torch.cat([logits, logits]), torch.cat([target, target]))
    assert abs(doubled.item() - value.item()) < 1e-12
    assert fn(logits.float(), target).dtype == torch.float32

