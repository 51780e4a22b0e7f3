"""Every threshold the findings use, in one place, each with the reason for its value.

Values that depend on the tuning objective are dicts keyed by it (``val_accuracy``: a fraction;
``val_nll``: nats). ``RULES`` states each rule in words; every report output prints it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.convergence import CHANCE_MARGIN, COLLAPSE_DROP, PATIENCE, WARMUP
from lossbench.stats import ALPHA, POWER  # the significance level and power: shared with the sweep

if TYPE_CHECKING:
    from lossbench.results import Objective


# Calibration (15-bin ECE of the test split).
CALIBRATED_ECE = 0.02  # a perfectly calibrated model's ECE on ~1000 test cases is 0.005-0.01 from sampling alone
DIRECTION_MARGIN = 0.01  # |mean confidence - accuracy| below this: the errors go both ways, no direction is stated

# Learning-rate sensitivity, from the tuning trials (one seed each).
LR_TOLERANCE = {"val_accuracy": 0.05, "val_nll": 0.1}  # a trial "trains" within this of the arm's best: wider
# than the seed-to-seed spread of a trained arm (0.01-0.02 accuracy), so one noisy trial does not rule out its lr
NARROW_SPAN = 3.0  # learning rates that train span less than this factor (half a decade) while more was tried
DISTINCT_DIGITS = 3  # learning rates equal to 3 significant digits are one learning rate (categorical choices)

# Instability over seeds.
SEED_RANGE = 0.1  # final seeds whose test accuracies span more than this: the mean describes no single run

# The winner's curse: tuning picks the best of single-seed trials, so its score overstates the arm.
TUNING_GAP = {"val_accuracy": 0.05, "val_nll": 0.1}  # flagged above this: more than a trained arm's seed-to-seed
# spread (the same validation objective at the last epoch on both sides; the sentence gives the final seeds' spread)


def rules(goal: Objective, patience: int | None = PATIENCE, epochs: int | None = None,
          alpha: float = ALPHA) -> list[tuple[str, str]]:
    """(topic, rule in words) for the report's method section, with the sweep's own values (its patience, its
    epoch cap, the level its family was judged at)."""
    from lossbench.decisions import MARGIN, MIN_SEEDS

    objective, unit = goal.name, goal.unit
    cap = f"a cap of {epochs} epochs" if epochs else "its epoch cap"
    stopping = (f"a run stops once {patience} epochs (the spec's patience) brought no gain on its best {objective}, "
                f"not before {WARMUP * patience} epochs nor {cap}, and is tested with its best epoch's weights"
                if patience else f"every run trains {cap} (no patience: fixed epochs)")
    return [
        ("tests", f"one decision module (lossbench.decisions) judges every pair: a paired t-test over one unit per "
                  f"shared seed (a factor's levels: the mean over their matched arms), the spread never below the "
                  f"metric's grain (1 / test examples), with Holm's correction once over the family at "
                  f"{alpha:.4g}"
                  + (" (the race's level)" if alpha < ALPHA else "")),
        ("not significant", f"the t interval at Holm's level, cut at +-1 for an accuracy difference; seeds a paired "
                            f"t-test would need to detect the observed difference (power {POWER}, the observed mean "
                            f"and standard deviation of the differences taken as true)"),
        ("convergence", f"{stopping}; an arm is still improving when a seed's run reached the cap with its best "
                        f"within the last patience epochs; a run whose best validation accuracy stays within "
                        f"{CHANCE_MARGIN} of chance is not training (never plateaued), one whose last epoch fell more "
                        f"than {COLLAPSE_DROP} below its best collapsed (lossbench.convergence)"),
        ("decisions", f"decided when the interval excludes 0 over {MIN_SEEDS} or more seeds and training longer "
                      f"cannot overturn it (the trailing arm no longer improving on any seed, or its recent rate "
                      f"cannot close the gap in as many epochs again); equivalent within +-{MARGIN} by TOST when both "
                      f"plateaued; not training when both sit at chance; otherwise open, with what would decide it"),
        ("calibration", f"well calibrated when ECE < {CALIBRATED_ECE}; over-confident when the mean confidence "
                        f"exceeds accuracy by {DIRECTION_MARGIN} or more, under-confident when it falls short by as "
                        "much"),
        ("learning rate", f"a tuning trial trains when its {objective} is within {LR_TOLERANCE[objective]}{unit} of "
                          f"the arm's best; sensitive when those learning rates span less than {NARROW_SPAN:g}x"),
        ("seeds", f"unstable when the final seeds' test accuracies span more than {SEED_RANGE}"),
        ("tuning gap", f"flagged when the best tuning score (one seed) beats the final seeds' mean {objective} (last "
                       f"epoch on both sides) by more than {TUNING_GAP[objective]}{unit}"),
    ]

# Chance (CHANCE_MARGIN, from lossbench.convergence): an arm whose test accuracy lies within it of 1 / classes predicts
# about uniformly, and a near-uniform predictor is trivially calibrated (its confidence equals its accuracy), so no
# calibration sentence names it; it is "not training at this budget", never plateaued.
