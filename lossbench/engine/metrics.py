"""Evaluation metrics computed from logits: accuracy, NLL of the softmax, calibration (ECE and its direction)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

ECE_BINS = 15


def evaluate_logits(logits: torch.Tensor, target: torch.Tensor, with_ece: bool = False) -> dict[str, float]:
    """``logits`` float[N, C] and ``target`` long[N] over valid positions only.

    NLL is the cross-entropy of the softmax probabilities, whichever loss trained the model, so that it
    compares across losses. ``with_ece`` adds calibration: ``ece`` and ``confidence``, the mean probability of
    the predicted class; confidence above accuracy is over-confidence, below it under-confidence; and ``examples``,
    the predictions scored (accuracy moves in steps of 1 / examples: a spread below that is none)."""
    logits = logits.double()
    log_probs = F.log_softmax(logits, dim=1)
    nll = F.nll_loss(log_probs, target).item()
    confidence, predicted = log_probs.exp().max(dim=1)
    correct = (predicted == target).double()
    result = {"accuracy": correct.mean().item(), "nll": nll}
    if with_ece:
        result["ece"] = expected_calibration_error(confidence, correct)
        result["confidence"] = confidence.mean().item()
        result["examples"] = int(target.numel())
    return result


def expected_calibration_error(confidence: torch.Tensor, correct: torch.Tensor, bins: int = ECE_BINS) -> float:
    """Guo et al. 2017: sum over equal-width confidence bins of |accuracy - confidence| weighted by bin size."""
    edges = torch.linspace(0, 1, bins + 1, dtype=confidence.dtype, device=confidence.device)
    index = torch.bucketize(confidence, edges[1:-1], right=False)  # bin b holds (edges[b], edges[b+1]]
    total = torch.zeros(bins, dtype=confidence.dtype, device=confidence.device)
    count = torch.bincount(index, minlength=bins).to(confidence.dtype)
    gap = total.index_add(0, index, correct) - total.index_add(0, index, confidence)
    return (gap.abs().sum() / count.sum()).item() if count.sum() > 0 else 0.0
