"""One judge for every pair a sweep compares: the only place a pair is judged. A shared leaf (it imports only
``lossbench.stats`` and ``lossbench.convergence``): the sweep's race, the report's decision and comparison tables,
the claims, tiers, main effects, speed and the answer all read its verdicts, so one pair never reads two ways.

The call::

    verdicts = decide(arms, alpha=race_alpha(10), workers=2, pairs=[("focal:gru:none", "ce:gru:none")])

``arms`` are ``JudgedArm``s (``sweep_arms(data)`` reads them from a stored sweep: of a race, the runs it judged, as of
its caps; the race and the report build them by ``judged_arms``, one arm by ``arm_from_runs``). Each
``Verdict`` says of one pair: ``kind`` (better, worse, equivalent, open, not training), ``difference`` (the mean
of arm - other over one paired unit per seed), ``interval`` (at ``level``, inside the metric's bounds), ``p``
(Holm-adjusted over the family), ``seeds``, ``why``, and for an open pair what would decide it: ``needs_seeds`` or
``needs_epochs``, with ``minutes`` on this machine and ``even_chance_seeds``.

The rule, in order:
- Pairs: every two arms that differ in one factor (loss, cell or remedy set), the pairs a caller adds (an arm and
  its baseline, a claim's arms), and each factor's levels over matched arms (``units``: one unit per seed, the
  mean over the matched pairs, never one seed twice; runs identical seed for seed are named).
- Not training: where both sides lie within the chance margin, no test is made and no seeds are offered.
- The test: a paired t-test of the units (Wilcoxon's signed-rank test cannot reach p < 0.25 with 3 pairs, so at
  the 3 to 10 seeds a sweep runs it could never decide), Holm-corrected once over the family; each interval is
  the t interval at the level Holm tested that pair at, so a difference is significant exactly when its interval
  excludes 0.
- Decided: a significant difference that training longer cannot overturn (the trailing side plateaued on every
  seed, or at its recent rate it could not close the gap in as many epochs again: a learning curve is concave);
  equivalent: within ``MARGIN`` both ways (TOST at the same level) with both sides plateaued, or, decided like a
  difference, with a side still improving whose most it could gain by that same bound cannot take the difference
  out of the margin (TOST on the bounds shifted by those gains).
- Open, with what would decide it: more epochs where the trailing side could still close the gap (no number of
  seeds could decide it then), else the seeds a paired t-test (or TOST, between plateaued sides) would need at
  power 0.8, the observed difference and spread taken as true, and the seeds at an even chance (power 0.5): the
  race goes on while that is within its maximum, an estimate from 3 seeds being rough. ``longer`` names the arms
  whose runs, trained longer, would decide it; with a race's caps (``reach``), a pair only epochs past
  ``max_epochs`` or more seeds than its most would decide says so.
- Speed (``speed``): where accuracy does not separate two plateaued arms, the epochs each run took to a validation
  accuracy every run of both reaches, by the same test.

A race judges the family at ``race_alpha`` (alpha over its planned looks); a report on a raced sweep at the same
level, and says so.
"""

from lossbench.decisions.arms import JudgedArm, Run, arm_from_runs, judged_arms, runs_of, sweep_arms
from lossbench.decisions.family import ROUNDS, beyond_seeds, cap_steps, decide, out_of_reach, race_alpha, schedule
from lossbench.decisions.rule import EVEN_CHANCE, MARGIN, MIN_SEEDS, SEEDS_WORTH, TEST, judge_values, within
from lossbench.decisions.speed import SPEED, SPEED_FACTOR, speed
from lossbench.decisions.verdict import (ARMS, BETTER, CONFOUNDED, DECIDED, EQUIVALENT, KINDS, LEVELS, NOT_TRAINING,
                                         OPEN, WORSE, Verdict)

__all__ = ["ARMS", "BETTER", "CONFOUNDED", "DECIDED", "EQUIVALENT", "EVEN_CHANCE", "KINDS", "LEVELS", "MARGIN",
           "MIN_SEEDS", "NOT_TRAINING", "OPEN", "ROUNDS", "SEEDS_WORTH", "SPEED", "SPEED_FACTOR", "TEST", "WORSE",
           "JudgedArm", "Run", "Verdict", "arm_from_runs", "beyond_seeds", "cap_steps", "decide", "judge_values",
           "judged_arms", "out_of_reach", "race_alpha", "runs_of", "schedule", "speed", "sweep_arms", "within"]
