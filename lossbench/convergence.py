"""When a learning curve has stopped improving, and how fast it got there: one rule for the engine (which stops a
run on it), the sweep and the report (which judge runs by it). A shared leaf: pure Python, imports nothing.

The patience rule: a run has plateaued once ``patience`` epochs in a row brought no improvement of more than
``MIN_DELTA`` on its best validation objective so far, and it has trained at least ``WARMUP`` times ``patience``
epochs (a tanh RNN can sit at chance for several epochs before it starts to learn: stopped then, one seed would
read as a failure another does not). A sweep's final run is not stopped before the epoch at which its
configuration's tuning run reached its time to target (below) either: that configuration is known to train, and
a slow start on another seed (binary cross-entropy can sit at chance for 10 epochs and more) is not a plateau. Its plateau epoch is the epoch of that best value. A run that reached its
epoch cap without plateauing was still improving (its best epoch lies within the last ``patience`` epochs).

Time to target (the AlgoPerf idea of time-to-result): the first epoch, and the seconds of training up to its end,
at which the curve reached ``TARGET_SHARE`` of its best value (for a minimised objective: within 1/share of it).

Two ends that are not a plateau. A run within ``CHANCE_MARGIN`` of chance accuracy has not started to learn: a tanh
RNN on MNIST-1D sits at chance for 15 epochs and more before it learns, so its end says "not training at this
budget", never "plateaued", and the engine's patience does not stop it (it trains to its cap). A run whose last
validation accuracy lies more than ``COLLAPSE_DROP`` below its best has collapsed (an instability: it fell from
0.935 to 0.18 at lr 0.05), which training longer does not mend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PATIENCE = 5  # epochs without improvement that end a run: long enough to cross a noisy epoch or two on MNIST-1D
MIN_DELTA = 0.002  # an improvement beats the best so far by more than this: a fifth of a percentage point of
# accuracy, a tenth of the margin within which two arms tie (lossbench.decisions); or 0.002 nats of NLL.
# With 0, a curve that only creeps up on validation noise never plateaus: GRUs on MNIST-1D gained 0.001 an epoch
# at 25 epochs, and every tie between them stayed open for want of a plateau.
WARMUP = 2  # no run stops on patience before WARMUP * patience epochs
TARGET_SHARE = 0.95  # time to target: the first epoch at 95% of the run's best score
CHANCE_MARGIN = 0.05  # accuracy within this of 1 / classes: predicting about uniformly, not training yet
COLLAPSE_DROP = 0.2  # the last epoch's validation accuracy this far below the run's best: a collapse (twice the
# spread of final seeds that makes an arm unstable, so seed-to-seed noise never reads as one)


def improved(value: float, best: float | None, maximize: bool, min_delta: float = MIN_DELTA) -> bool:
    if best is None:
        return math.isfinite(value)
    return value > best + min_delta if maximize else value < best - min_delta


@dataclass(frozen=True)
class Plateau:
    best_epoch: int  # 1-based epoch of the best value
    best: float
    epochs: int  # epochs in the curve
    patience: int

    @property
    def plateaued(self) -> bool:
        """Whether ``patience`` epochs after the best brought nothing better (after the warm-up)."""
        return stops(self.epochs, self.best_epoch, self.patience)


def stops(epoch: int, best_epoch: int, patience: int, min_epochs: int | None = None) -> bool:
    """Whether a run at ``epoch`` whose best so far was at ``best_epoch`` stops on the patience rule (never before
    ``min_epochs`` either, where given)."""
    return epoch >= max(WARMUP * patience, min_epochs or 0) and epoch - best_epoch >= patience


def plateau(values: Sequence[float], maximize: bool, patience: int = PATIENCE,
            min_delta: float = MIN_DELTA) -> Plateau | None:
    """The best epoch of a curve under the patience rule; None for a curve without a finite value."""
    best, best_epoch = None, 0
    for epoch, value in enumerate(values, start=1):
        if value is not None and improved(float(value), best, maximize, min_delta):
            best, best_epoch = float(value), epoch
    if best is None:
        return None
    return Plateau(best_epoch, best, len(values), patience)


def time_to_target(values: Sequence[float], seconds: Sequence[float], maximize: bool,
                   share: float = TARGET_SHARE) -> tuple[int, float] | None:
    """(epoch, seconds of training up to its end) at which the curve first reached ``share`` of its best value."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return None
    best = max(finite) if maximize else min(finite)
    elapsed = 0.0
    for epoch, (value, spent) in enumerate(zip(values, seconds), start=1):
        elapsed += float(spent)
        if value is None or not math.isfinite(float(value)):
            continue
        if (value >= share * best) if maximize else (value <= best / share):
            return epoch, elapsed
    return None


def at_chance(accuracy: float | None, chance: float | None, margin: float = CHANCE_MARGIN) -> bool:
    """Whether an accuracy lies within ``margin`` of chance (False where either is unknown)."""
    return accuracy is not None and chance is not None and accuracy <= chance + margin


def collapsed(accuracy: Sequence[float | None], drop: float = COLLAPSE_DROP) -> bool:
    """Whether a validation-accuracy curve ended more than ``drop`` below its best (non-finite epochs skipped)."""
    finite = [float(v) for v in accuracy if v is not None and math.isfinite(float(v))]
    return bool(finite) and max(finite) - finite[-1] > drop


PLATEAUED, IMPROVING, NOT_TRAINING, COLLAPSED = "plateaued", "improving", "not training", "collapsed"
UNKNOWN = "unknown"  # how a run ended, where its curve holds no finite value (``run_state`` gives None): neither
# still improving (nothing can continue it: only a run known to be improving is) nor plateaued (nobody knows)


def run_state(curve: Sequence[float | None], accuracy: Sequence[float | None], maximize: bool,
              patience: int = PATIENCE, cap: int | None = None, chance: float | None = None) -> str | None:
    """How one run ended, by the one rule: ``COLLAPSED`` (its last validation accuracy far below its best),
    ``NOT_TRAINING`` (its best validation accuracy within the chance margin: a slow start, never a plateau),
    ``PLATEAUED`` (the patience rule, or it stopped before its ``cap``) or ``IMPROVING``; None (``UNKNOWN``) for a
    curve without a finite value. ``curve`` is the tuned objective per epoch, ``accuracy`` the validation accuracy."""
    verdict = plateau(curve, maximize, patience)
    if verdict is None:
        return None
    if collapsed(accuracy):
        return COLLAPSED
    finite = [float(v) for v in accuracy if v is not None and math.isfinite(float(v))]
    if finite and at_chance(max(finite), chance):
        return NOT_TRAINING
    stopped = cap is not None and len(curve) < cap
    return PLATEAUED if verdict.plateaued or stopped else IMPROVING


def cap_caution(epochs: int | None, patience: int | None) -> str | None:
    """Why an epoch cap cannot decide, where it cannot: below ``WARMUP`` times the patience no run can count as
    plateaued, so no tie is ever decided and every gap stays open to training longer. None for a cap that can."""
    if epochs is None or not patience or epochs >= WARMUP * patience:
        return None
    return (f"an epoch cap of {epochs} is below the {WARMUP * patience} epochs before any run can count as plateaued "
            f"({WARMUP} x the patience of {patience}): no run can plateau, so no tie can be decided and every gap "
            f"stays open to training longer; give epochs = {WARMUP * patience} or more (or patience = 0 for fixed "
            f"epochs)")
