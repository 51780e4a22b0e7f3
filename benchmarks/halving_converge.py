"""How long the quickstart's final runs need to train before their comparisons can be decided (issue 28 items 3-4).

Each arm of the default quickstart at its tuned configuration (``best_params`` of a sweep's results.json, or
of halving_tune.py's JSON) is trained on the final phase's seeds 1000.. (5; 7 for the GRU arms, --gru-seeds) for
--cap epochs (100) without a patience stop, one torch thread, recording validation accuracy and test accuracy
after every epoch. "Test accuracy at e epochs" is the test accuracy of the best validation epoch within e (min
delta 0.002, as the engine tests a run capped at e); "plateau" is where the patience rule (patience 5, min delta
0.002, not before epoch 10) stops each run, tested at its best epoch.

Prints Markdown: per arm, the plateau epochs and the test accuracy at 20/40/60/100 epochs and at the plateau; for
the 12 one-factor pairs, the mean and standard deviation of the per-seed paired test-accuracy difference; for the
four GRU pairs, the epoch from which TOST (one-sided t at level --alpha, 0.05/48) shows them within +-0.02 at 5
and at 7 seeds; for the tanh RNN arms, when each seed leaves chance.

    python benchmarks/halving_converge.py --tuned RESULTS.json [--out curves.json] [--extra ARM@INDEX]
        # about 22 CPU minutes, 5 more for each --extra GRU arm
    python benchmarks/halving_converge.py --from curves.json   # the tables again, no training

benchmarks/data/halving/converge.json holds the curves measured for issue 28's design: the quickstart's own picks
(its results.json), and --extra ce:gru:clip_norm+orthogonal_init@2 (lr 0.0126, the point best at 60 epochs).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile

import numpy as np
from scipy.stats import t as student

from lossbench.stats.power import seeds_for_equivalence

from halving_arms import (CHANCE, SPEC, Runner, best_epoch, config_for, lr_label, patience_stop, quickstart_arms,
                          save, tuned_params)

CAPS = (20, 40, 60, 100)
MARGIN = 0.02
FIRST_LOOK = 10  # the patience rule's warm-up: no decision is read before
LEFT_CHANCE = 0.2  # validation accuracy clearly above chance (0.1; 400 validation examples)


def train(params_of: dict[str, dict], seeds: int, gru_seeds: int, cap: int, out: str, extra: list[str]) -> dict:
    """Every arm at its tuned parameters; then each ``extra`` "ARM@INDEX" (that arm at its screen point INDEX),
    as an arm of its own named so."""
    runner = Runner()
    document = {"cap": cap, "arms": []}
    screen = {arm.key: points for arm, points in quickstart_arms(runner.registry)}
    todo = [(arm.key, arm, params_of[arm.key]) for arm in SPEC.arms]
    for name in extra:
        key, _, index = name.partition("@")
        todo.append((name, next(a for a in SPEC.arms if a.key == key), screen[key][int(index)]))
    for name, arm, params in todo:
        runs = []
        for seed in SPEC.final_seeds[:gru_seeds if arm.cell == "gru" else seeds]:
            runs.append({"seed": seed, **runner.curve(config_for(arm, params, seed, cap), with_test=True)})
            sys.stderr.write(f"{name} seed {seed}: val {runs[-1]['val'][-1]:.3f} test {runs[-1]['test'][-1]:.3f}\n")
        document["arms"].append({"arm": name, "loss": arm.loss, "cell": arm.cell, "remedies": list(arm.remedies),
                                 "params": params, "runs": runs})
        save(out, document)
    return document


def test_at(run: dict, upto: int) -> float:
    """Test accuracy of a run capped at ``upto`` epochs (tested at its best validation epoch within them)."""
    at = best_epoch(run["val"], upto)
    return run["test"][at - 1] if at else math.nan


def plateau_test(run: dict, cap: int) -> tuple[str, float]:
    """(the epoch the patience rule stops the run at, "+" where it was still improving at the cap; its test
    accuracy)."""
    stop, at, plateaued = patience_stop(run["val"], cap)
    return f"{stop}{'' if plateaued else '+'}", run["test"][at - 1] if at else math.nan


def ms(values: list[float], digits: int = 4) -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}" if len(v) > 1 else f"{v.mean():.{digits}f}"


def pairs(arms: list[dict]) -> list[tuple[str, dict, dict]]:
    """The one-factor pairs (factor, arm, baseline): focal - ce, gru - rnn, clip_norm+orthogonal_init - none."""
    baseline = {"loss": lambda a: a["loss"] == "ce", "cell": lambda a: a["cell"] == "rnn",
                "remedies": lambda a: not a["remedies"]}
    found = []
    for factor, is_base in baseline.items():
        others = [k for k in baseline if k != factor]
        for base in (a for a in arms if is_base(a)):
            found += [(factor, arm, base) for arm in arms
                      if not is_base(arm) and all(arm[k] == base[k] for k in others)]
    return found


def differences(arm: dict, base: dict, value, n: int | None = None) -> list[float]:
    """Per-seed differences arm - base of ``value(run)`` over their common seeds (the first ``n``)."""
    mine = {r["seed"]: r for r in arm["runs"]}
    seeds = [r["seed"] for r in base["runs"] if r["seed"] in mine][:n]
    return [value(mine[s]) - value(next(r for r in base["runs"] if r["seed"] == s)) for s in seeds]


def tost_bound(d: list[float], alpha: float) -> float:
    """|mean| + t(1 - alpha, n - 1) sd / sqrt(n): TOST at ``alpha`` shows the pair within +-m when this is < m."""
    v = np.asarray(d, dtype=float)
    return abs(v.mean()) + student.ppf(1 - alpha, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))


def tables(document: dict, alpha: float) -> None:
    cap, arms = document["cap"], document["arms"]
    print(f"### Final runs to {cap} epochs (test accuracy at the best validation epoch within the cap; mean ± sd "
          "over seeds; a plateau epoch with + : still improving at the cap)\n")
    print("| arm | tuned | seeds | plateau epoch per seed | " + " | ".join(f"test @{c}" for c in CAPS)
          + " | test @plateau |\n|---|---|---|---|" + "---|" * (len(CAPS) + 1))
    for a in arms:
        stops = [plateau_test(r, cap) for r in a["runs"]]
        diverged = sum(r["status"] == "diverged" for r in a["runs"])
        print(f"| {a['arm']} | {lr_label(a['params'])} | {len(a['runs'])}{f' ({diverged} diverged)' if diverged else ''}"
              f" | {', '.join(str(s) for s, _ in stops)} | "
              + " | ".join(ms([test_at(r, c) for r in a["runs"]]) for c in CAPS)
              + f" | {ms([v for _, v in stops])} |")
    print("\n### One-factor pairs, 5 seeds: per-seed paired difference of test accuracy, mean ± sd\n")
    print("| pair (arm - baseline) | " + " | ".join(f"@{c}" for c in CAPS) + " | @plateau |\n|---|"
          + "---|" * (len(CAPS) + 1))
    for factor, arm, base in pairs(arms):
        cells = [ms(differences(arm, base, lambda r, c=c: test_at(r, c), 5)) for c in CAPS]
        cells.append(ms(differences(arm, base, lambda r: plateau_test(r, cap)[1], 5)))
        print(f"| {arm['arm']} - {base['arm']} | " + " | ".join(cells) + " |")
    gru = [(f, a, b) for f, a, b in pairs(arms) if a["cell"] == b["cell"] == "gru"]
    counts = sorted({min(len(a["runs"]), len(b["runs"])) for _, a, b in gru} | {5})
    looks = [e for e in (10, 15, 20, 25, 30, 40, 50, 60, 80, 100) if FIRST_LOOK <= e <= cap]
    print(f"\n### GRU pairs: TOST bound |mean| + t(1-alpha, n-1) sd/sqrt(n), alpha {alpha:.2g}, equivalent within "
          f"±{MARGIN} when < {MARGIN}; epochs searched from {FIRST_LOOK} (before, both arms may sit near chance); "
          "seeds needed: lossbench.stats.seeds_for_equivalence (power 0.8) with the 7 seeds' mean and sd\n")
    print("| pair | seeds | " + " | ".join(f"@{e}" for e in looks) + " | @plateau | first epoch < margin | "
          "below from | seeds needed @40 / @60 / @100 |\n|---|---|" + "---|" * (len(looks) + 4))
    for _, arm, base in gru:
        for n in counts:
            bounds = {e: tost_bound(differences(arm, base, lambda r, e=e: test_at(r, e), n), alpha)
                      for e in range(FIRST_LOOK, cap + 1)}
            at_plateau = tost_bound(differences(arm, base, lambda r: plateau_test(r, cap)[1], n), alpha)
            below = [e for e, b in bounds.items() if b < MARGIN]
            since = next((e for e in bounds if all(bounds[k] < MARGIN for k in bounds if k >= e)), None)
            needed = " / ".join(str(seeds_for_equivalence(differences(arm, base, lambda r, e=e: test_at(r, e)),
                                                          MARGIN, alpha) or "none") for e in (40, 60, cap))
            print(f"| {arm['arm']} - {base['arm']} | {n} | " + " | ".join(f"{bounds[e]:.4f}" for e in looks)
                  + f" | {at_plateau:.4f} | {below[0] if below else '-'} | {since or '-'} | {needed} |")
    print(f"\n### tanh RNN arms: best validation accuracy so far per seed (chance {CHANCE}), and the first epoch above "
          f"{LEFT_CHANCE}\n")
    looks = [e for e in (5, 10, 15, 20, 30, 40, 60, 100) if e <= cap]
    print("| arm | seed | " + " | ".join(f"@{e}" for e in looks) + " | leaves chance |\n|---|---|"
          + "---|" * (len(looks) + 1))
    for a in (a for a in arms if a["cell"] == "rnn"):
        for r in a["runs"]:
            best = np.maximum.accumulate(r["val"])
            left = next((e for e, v in enumerate(r["val"], start=1) if v > LEFT_CHANCE), None)
            print(f"| {a['arm']} | {r['seed']} | " + " | ".join(f"{best[min(e, len(best)) - 1]:.3f}" for e in looks)
                  + f" | {left or 'never'} |")
    print("\n| arm | CPU s per epoch (one thread, validation and test included) |\n|---|---|")
    for a in arms:
        print(f"| {a['arm']} | {sum(r['cpu_seconds'] for r in a['runs']) / sum(len(r['val']) for r in a['runs']):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuned")
    parser.add_argument("--from", dest="source")
    parser.add_argument("--out")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--gru-seeds", type=int, default=7)
    parser.add_argument("--cap", type=int, default=100)
    parser.add_argument("--alpha", type=float, default=0.05 / 48)
    parser.add_argument("--extra", action="append", default=[], metavar="ARM@INDEX",
                        help="also train ARM at its screen point INDEX (0-4), e.g. another learning rate")
    args = parser.parse_args()
    if args.source:
        document = json.loads(open(args.source).read())
    elif args.tuned:
        out = args.out or tempfile.mkstemp(prefix="halving-converge-", suffix=".json")[1]
        sys.stderr.write(f"curves go to {out}\n")
        document = train(tuned_params(args.tuned), args.seeds, args.gru_seeds, args.cap, out, args.extra)
    else:
        parser.error("give --tuned RESULTS.json (to train) or --from CURVES.json")
    tables(document, args.alpha)


if __name__ == "__main__":
    main()
