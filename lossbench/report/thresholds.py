"""Every threshold the findings use, in one place, each with the reason for its value.

Values that depend on the tuning objective are dicts keyed by it (``val_accuracy``: a fraction;
``val_nll``: nats). ``RULES`` states each rule in words; every report output prints it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.convergence import PATIENCE, WARMUP
from lossbench.stats import ALPHA, LEVEL, POWER  # the significance level, intervals, power: shared with the sweep

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


def rules(goal: Objective) -> list[tuple[str, str]]:
    """(topic, rule in words) for the report's method section."""
    objective, unit = goal.name, goal.unit
    return [
        ("tests", f"paired over shared seeds; every test of the report Holm-corrected together; significant when the "
                  f"adjusted p < {ALPHA}; factor levels are paired over matched arms x shared seeds"),
        ("not significant", f"{LEVEL:.0%} t interval of the mean paired difference; seeds a paired t-test would need "
                            f"to detect the observed difference (alpha {ALPHA}, power {POWER}, the observed mean and "
                            f"standard deviation of the differences taken as true)"),
        ("convergence", f"a run stops once {PATIENCE} epochs (the spec's patience) brought no gain on its best "
                        f"{objective}, not before {WARMUP * PATIENCE} epochs, and is tested with its best epoch's "
                        f"weights; an arm is still improving when a seed's run reached the epoch cap with its best "
                        f"within the last patience epochs (lossbench.convergence)"),
        ("decisions", "each pair of arms differing in one factor: decided when the paired t interval (Holm's level) "
                      "excludes 0 and training longer cannot overturn it (the trailing arm plateaued on every seed, "
                      "or its recent rate cannot close the gap in as many epochs again); "
                      "equivalent within the margin by TOST when both plateaued; otherwise open, with what would "
                      "decide it"),
        ("calibration", f"well calibrated when ECE < {CALIBRATED_ECE}; over-confident when the mean confidence "
                        f"exceeds accuracy by {DIRECTION_MARGIN} or more, under-confident when it falls short by as "
                        "much"),
        ("learning rate", f"a tuning trial trains when its {objective} is within {LR_TOLERANCE[objective]}{unit} of "
                          f"the arm's best; sensitive when those learning rates span less than {NARROW_SPAN:g}x"),
        ("seeds", f"unstable when the final seeds' test accuracies span more than {SEED_RANGE}"),
        ("tuning gap", f"flagged when the best tuning score (one seed) beats the final seeds' mean {objective} (last "
                       f"epoch on both sides) by more than {TUNING_GAP[objective]}{unit}"),
    ]

# Chance: an arm whose test accuracy lies within this of 1 / classes predicts about uniformly, and a near-uniform
# predictor is trivially calibrated (its confidence equals its accuracy), so no calibration sentence names it; it is
# "not training at this budget" (lossbench.convergence, the one rule), never plateaued.
from lossbench.convergence import CHANCE_MARGIN, COLLAPSE_DROP  # noqa: E402
