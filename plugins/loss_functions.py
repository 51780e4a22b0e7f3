"""Torch implementations of the built-in losses.

Every loss maps ``logits: float[N, C]`` and ``target: long[N]`` to a scalar, the mean over N. Each one is
computed from ``log_softmax`` / ``logsigmoid`` / ``logsumexp`` (never from probabilities that were rounded
first), so value and gradient stay finite at logits of +-1e4, and each works in float32 and float64.

Parameters have no default values here: the defaults live in the specs (:mod:`lossbench_builtins.losses`),
whose ``build`` functions import this module (and so torch) when they are called.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

# Wang et al. 2019 clamp log 0 to A = -4 in the reverse cross-entropy.
SCE_LOG_ZERO = -4.0
# Newton steps that polish the tempered-softmax normalisation after the authors' iterations (see below).
_NEWTON_POLISH = 3


# ----------------------------------------------------------------------------------------------- helpers
def _log_pt(logits: Tensor, target: Tensor) -> Tensor:
    """log p_t: the log-softmax probability of the true class, [N]."""
    return F.log_softmax(logits, dim=-1).gather(-1, target.unsqueeze(-1)).squeeze(-1)


def _one_minus(log_p: Tensor) -> Tensor:
    """1 - p from log p (``-expm1``), never below 0."""
    return (-torch.expm1(log_p)).clamp(min=0.0)


def _pow(x: Tensor, gamma: float) -> Tensor:
    """x ** gamma for x >= 0 with a finite gradient at x = 0 (0 there; plain ``pow`` gives 0 * inf = NaN
    when gamma < 1). Callers handle gamma == 0 themselves (x ** 0 is 1, also at 0)."""
    positive = x > 0
    safe = torch.where(positive, x, torch.ones_like(x))
    return torch.where(positive, torch.exp(gamma * torch.log(safe)), torch.zeros_like(x))


# ------------------------------------------------------------------------------------------------ losses
def cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Categorical cross-entropy, -log p_t, mean over N."""
    return F.cross_entropy(logits, target)


def binary_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """One-vs-rest sigmoid binary cross-entropy on one-hot targets.

    Reduction: **summed over the C classes, averaged over the N examples**, i.e.
    ``-(1/N) sum_n sum_k [y_nk log sigmoid(z_nk) + (1 - y_nk) log(1 - sigmoid(z_nk))]``, which equals
    ``F.binary_cross_entropy_with_logits(logits, one_hot, reduction="sum") / N``. (Keras's
    ``binary_crossentropy`` averages over the classes instead: that is this value divided by C.)
    """
    y = F.one_hot(target, logits.shape[-1]).to(logits.dtype)
    per_class = -(y * F.logsigmoid(logits) + (1.0 - y) * F.logsigmoid(-logits))
    return per_class.sum(dim=-1).mean()


def label_smoothing(logits: Tensor, target: Tensor, eps: float) -> Tensor:
    """Cross-entropy against (1 - eps) * one_hot + eps / C (Szegedy et al. 2016), mean over N."""
    return F.cross_entropy(logits, target, label_smoothing=eps)


def focal(logits: Tensor, target: Tensor, gamma: float, alpha: float | None) -> Tensor:
    """Softmax multi-class focal loss (Lin et al. 2017): ``-alpha * (1 - p_t) ** gamma * log p_t``.

    ``alpha`` follows the common multi-class (softmax) convention: one scalar weight applied to every
    class, ``None`` meaning 1 (off). (The paper's binary alpha-balancing, alpha for positives and 1 - alpha
    for negatives, has no single counterpart for a softmax over C classes.) Under a scale-invariant
    optimiser such as Adam a constant alpha changes almost nothing, so it is not tuned.

    ``(1 - p_t) ** gamma`` is computed from ``log p_t`` (``-expm1``), with a zero gradient where
    p_t rounds to 1, so gamma < 1 gives no NaN; gamma == 0 is exactly cross-entropy.
    """
    if gamma == 0:
        loss = F.cross_entropy(logits, target)
    else:
        log_pt = _log_pt(logits, target)
        loss = (-_pow(_one_minus(log_pt), gamma) * log_pt).mean()
    return loss if alpha is None else alpha * loss


def poly1(logits: Tensor, target: Tensor, eps: float) -> Tensor:
    """Poly-1 (Leng et al. 2022): ``-log p_t + eps * (1 - p_t)``, mean over N."""
    log_pt = _log_pt(logits, target)
    return (-log_pt + eps * _one_minus(log_pt)).mean()


def gce(logits: Tensor, target: Tensor, q: float) -> Tensor:
    """Generalized cross-entropy (Zhang & Sabuncu 2018): ``(1 - p_t ** q) / q``, mean over N.

    ``1 - p_t ** q`` is ``-expm1(q * log p_t)``: exact near p_t = 1 and tends to -log p_t as q -> 0."""
    return (-torch.expm1(q * _log_pt(logits, target)) / q).mean()


def sce(logits: Tensor, target: Tensor, alpha: float, beta: float) -> Tensor:
    """Symmetric cross-entropy (Wang et al. 2019): ``alpha * CE + beta * RCE``, mean over N.

    RCE = -sum_k p_k log y_k with log 0 clamped to A = -4, which for a one-hot y is -A * (1 - p_t)."""
    log_pt = _log_pt(logits, target)
    return (alpha * -log_pt + beta * -SCE_LOG_ZERO * _one_minus(log_pt)).mean()


def taylor_ce(logits: Tensor, target: Tensor, order: int) -> Tensor:
    """Taylor cross-entropy (Feng et al. 2020): ``sum_{k=1..order} (1 - p_t) ** k / k``, mean over N
    (the order-``order`` Taylor series of -log p_t around p_t = 1)."""
    x = _one_minus(_log_pt(logits, target))
    total = torch.zeros_like(x)
    power = torch.ones_like(x)
    for k in range(1, order + 1):
        power = power * x
        total = total + power / k
    return total.mean()


def brier(logits: Tensor, target: Tensor) -> Tensor:
    """Brier score (Brier 1950): ``sum_k (p_k - y_k) ** 2`` of the softmax against one-hot y, mean over N."""
    p = torch.softmax(logits, dim=-1)
    y = F.one_hot(target, logits.shape[-1]).to(logits.dtype)
    return (p - y).pow(2).sum(dim=-1).mean()


# ------------------------------------------------------------------------------------ bi-tempered loss
def _log_t(x: Tensor, t: float) -> Tensor:
    """Tempered logarithm (x ** (1 - t) - 1) / (1 - t); log at t == 1."""
    if t == 1.0:
        return torch.log(x)
    return (x ** (1.0 - t) - 1.0) / (1.0 - t)


def _exp_t(u: Tensor, t: float) -> Tensor:
    """Tempered exponential [1 + (1 - t) u]_+ ** (1 / (1 - t)); exp at t == 1."""
    if t == 1.0:
        return torch.exp(u)
    return torch.relu(1.0 + (1.0 - t) * u) ** (1.0 / (1.0 - t))


def tempered_normalization(activations: Tensor, t: float, num_iters: int) -> Tensor:
    """The λ, [N, 1], with ``sum_k exp_t(a_k - λ, t) == 1`` (Amid et al. 2019), differentiable.

    t > 1: the authors' fixed-point iteration, ``num_iters`` times; t < 1: bisection, ``num_iters``
    halvings of the bracket [max a, max a - log_t(1/C)] (the root always lies in it). Either way a few
    Newton steps then polish λ (g(λ) = sum exp_t - 1 is convex and decreasing, and exp_t' = exp_t ** t),
    so the value is accurate to rounding even where 5 fixed-point iterations are not (t2 >= 2 with
    spread logits), and one last Newton step is kept in the graph: its gradient is exactly the implicit
    one, dλ/da = escort = p ** t / sum p ** t, which is what the authors' custom gradient uses.
    """
    if t == 1.0:
        return torch.logsumexp(activations, dim=-1, keepdim=True)
    if num_iters < 1:
        raise ValueError(f"num_iters must be at least 1, got {num_iters}")
    a = activations
    with torch.no_grad():
        mu = a.max(dim=-1, keepdim=True).values
        upper = mu - _log_t(torch.tensor(1.0 / a.shape[-1], dtype=a.dtype, device=a.device), t)
        if t > 1.0:
            a0 = a - mu
            shifted = a0
            for _ in range(num_iters):
                z = _exp_t(shifted, t).sum(dim=-1, keepdim=True)
                shifted = a0 * z ** (1.0 - t)
            z = _exp_t(shifted, t).sum(dim=-1, keepdim=True)
            lam = mu - _log_t(1.0 / z, t)
        else:
            low, high = mu, upper.expand_as(mu).clone()
            for _ in range(num_iters):
                mid = (low + high) / 2
                above = _exp_t(a - mid, t).sum(dim=-1, keepdim=True) >= 1.0
                low = torch.where(above, mid, low)
                high = torch.where(above, high, mid)
            lam = low  # sum >= 1 here: Newton steps from this side of a convex function never overshoot
        for _ in range(_NEWTON_POLISH):
            lam = _newton_step(a, lam, t).clamp(min=mu, max=upper)
        slope = (_exp_t(a - lam, t) ** t).sum(dim=-1, keepdim=True)  # -g'(λ)
    residual = _exp_t(a - lam, t).sum(dim=-1, keepdim=True) - 1.0
    return lam + residual / slope


def _newton_step(a: Tensor, lam: Tensor, t: float) -> Tensor:
    p = _exp_t(a - lam, t)
    return lam + (p.sum(dim=-1, keepdim=True) - 1.0) / (p**t).sum(dim=-1, keepdim=True)


def _tempered_log_probs(activations: Tensor, t: float, num_iters: int) -> tuple[Tensor, Tensor]:
    """(log p, p > 0) of the tempered softmax; log p is 0 (a placeholder) where p == 0, which happens
    only for t < 1 (finite support)."""
    if t == 1.0:
        log_p = F.log_softmax(activations, dim=-1)
        return log_p, torch.ones_like(log_p, dtype=torch.bool)
    lam = tempered_normalization(activations, t, num_iters)
    inner = (1.0 - t) * (activations - lam)  # log p = log1p(inner) / (1 - t) where 1 + inner > 0
    positive = inner > -1.0
    safe = torch.where(positive, inner, torch.zeros_like(inner))
    return torch.where(positive, torch.log1p(safe) / (1.0 - t), torch.zeros_like(inner)), positive


def bi_tempered_per_row(activations: Tensor, labels: Tensor, t1: float, t2: float, num_iters: int) -> Tensor:
    """Bi-tempered logistic loss (Amid et al. 2019) per row, for soft ``labels`` [N, C] (rows sum to 1).

    ``sum_k [y_k (log_t1 y_k - log_t1 p_k) - (y_k ** (2 - t1) - p_k ** (2 - t1)) / (2 - t1)]`` with
    p the tempered softmax exp_t2(a - λ) with sum 1: the Bregman divergence the authors' code computes (their
    ``labels + 1e-10`` inside the log is replaced by the exact limit 0 * log_t1(0) = 0). t1 = t2 = 1 gives
    softmax cross-entropy minus the labels' entropy, the KL divergence, so the value is continuous in the
    temperatures; for one-hot labels that is cross-entropy. (The authors' function switches to plain
    cross-entropy at t1 = t2 = 1, which differs from this by the labels' entropy for soft labels.)

    Needs 0 <= t1 <= 1 (t1 < 1 bounds the loss) and t2 > 0 (t2 > 1: heavy tails, t2 < 1: finite support).
    """
    if not 0.0 <= t1 <= 1.0:
        raise ValueError(f"t1 must be in [0, 1], got {t1}")
    if not t2 > 0.0:
        raise ValueError(f"t2 must be positive, got {t2}")
    y = labels.to(activations.dtype)
    log_p, positive = _tempered_log_probs(activations, t2, num_iters)
    has_label = y > 0

    def p_pow(s: float) -> Tensor:  # p ** s, with 0 where p == 0 (and a finite gradient there)
        return torch.where(positive, torch.exp(s * log_p), torch.zeros_like(log_p))

    if t1 == 1.0:
        cross = torch.where(has_label, y * torch.where(positive, log_p, torch.full_like(log_p, -torch.inf)),
                            torch.zeros_like(y))
        per_class = torch.xlogy(y, y) - cross - y + p_pow(1.0)
    else:
        one_minus_t1 = 1.0 - t1
        # log_t1(p) = expm1((1 - t1) log p) / (1 - t1); log_t1(0) = -1 / (1 - t1)
        log_t1_p = torch.where(positive, torch.expm1(one_minus_t1 * log_p), -torch.ones_like(log_p)) / one_minus_t1
        safe_y = torch.where(has_label, y, torch.ones_like(y))
        log_t1_y = torch.where(has_label, _log_t(safe_y, t1), torch.zeros_like(y))  # y log_t1(y) -> 0 at y = 0
        per_class = y * (log_t1_y - log_t1_p) - (y ** (2.0 - t1) - p_pow(2.0 - t1)) / (2.0 - t1)
    return per_class.sum(dim=-1)


def bitempered(logits: Tensor, target: Tensor, t1: float, t2: float, num_iters: int) -> Tensor:
    """Bi-tempered logistic loss of one-hot targets, mean over N. t1 = t2 = 1 is exactly cross-entropy."""
    if t1 == 1.0 and t2 == 1.0:
        return F.cross_entropy(logits, target)
    y = F.one_hot(target, logits.shape[-1]).to(logits.dtype)
    return bi_tempered_per_row(logits, y, t1, t2, num_iters).mean()
