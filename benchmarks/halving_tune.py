"""Tuning by successive halving against today's patience rule, on the default quickstart's arms (issue 28 item 5).

Every arm's 5 screen points (the sweep's own: same parameters, seed = trial number 0..4) are trained with the
engine's Python API, one torch thread, every epoch up to --cap (60), recording validation accuracy. Each tuning
rule is then replayed on those curves, which is exact: a run continued from its checkpoint gives the numbers of
the same run trained straight (lossbench.engine.checkpoint; --verify runs the first halving schedule for real,
from checkpoints, and checks it).

- today: each point trained with patience 5 (min delta 0.002, not before epoch 10), cap 20.
- halving 5@a/2@b/1@c: every point to a epochs, the best 2 continued to b, the best to c; ranked by the tuning
  objective (validation accuracy at the best epoch so far); a diverged point scores 0. "at-chance kept": points
  within 0.05 of chance accuracy are not ranked against each other: where fewer than 2 points are above that,
  all of them go on.

Prints Markdown: what each rule picks, the pick's validation accuracy (at 20 epochs and at the cap), the epochs
each trains; then what the ranking at epochs 3, 5, 10 and 20 says against the ranking at 20 and at the cap.

    python benchmarks/halving_tune.py [--cap 60] [--out tune.json] [--verify]   # trains: about 10 CPU minutes
    python benchmarks/halving_tune.py --from tune.json                           # the tables again, no training

benchmarks/data/halving/tune.json holds the curves measured for the tables of issue 28's design (2 cores, shared).

The JSON also lists each arm's pick under today's rule as ``arms[].best_params`` (the shape of a sweep's
results.json), which halving_converge.py and halving_speed.py read with --tuned.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time

from scipy.stats import kendalltau

from halving_arms import CHANCE, Runner, config_for, lr_label, patience_stop, quickstart_arms, save, value_at

TODAY_CAP = 20
SCHEDULES = {"halving 5@4/2@12/1@20": [(5, 4), (2, 12), (1, 20)],
             "halving 5@3/2@10/1@20": [(5, 3), (2, 10), (1, 20)],
             "halving 5@5/2@10/1@20": [(5, 5), (2, 10), (1, 20)],
             "halving 5@4/2@20": [(5, 4), (2, 20)],
             "halving 5@3/2@20": [(5, 3), (2, 20)],
             "halving 5@4/3@20": [(5, 4), (3, 20)],
             "halving 5@4/2@30": [(5, 4), (2, 30)],
             "halving 5@3/2@20, at-chance kept": [(5, 3), (2, 20)],
             "halving 5@4/2@20, at-chance kept": [(5, 4), (2, 20)],
             "halving 5@4/2@40, at-chance kept": [(5, 4), (2, 40)]}
AT_CHANCE = CHANCE + 0.05  # lossbench.report.thresholds.CHANCE_MARGIN: not learning (yet), whatever its rank
LOOKS = (3, 5, 10, 20)


def score(point: dict, upto: int) -> float:
    """The tuning objective of this point's run capped at ``upto`` (0 once it diverged before)."""
    if point["status"] == "diverged" and len(point["val"]) < upto:
        return 0.0
    return value_at(point["val"], upto)


def ranked(points: list[dict], upto: int, among: list[int] | None = None) -> list[int]:
    """Point indices best first at ``upto`` epochs (ties: the lower trial number, as the sweep's best_trial)."""
    among = list(range(len(points))) if among is None else among
    return sorted(among, key=lambda i: (-score(points[i], upto), i))


def today(points: list[dict]) -> tuple[int, int]:
    """(pick, epochs trained) of today's rule: every point to its patience stop within 20 epochs."""
    ends = [patience_stop(p["val"], TODAY_CAP) for p in points]
    diverged = [p["status"] == "diverged" and not plateaued and len(p["val"]) < TODAY_CAP
                for p, (_, _, plateaued) in zip(points, ends)]
    values = [0.0 if gone else score(p, stop) for p, (stop, _, _), gone in zip(points, ends, diverged)]
    pool = [i for i, gone in enumerate(diverged) if not gone] or list(range(len(points)))  # as best_trial does
    return min(pool, key=lambda i: (-values[i], i)), sum(stop for stop, _, _ in ends)


def halving(points: list[dict], schedule: list[tuple[int, int]], keep_chance: bool = False) -> tuple[int, int]:
    """(pick, epochs trained) of a successive-halving schedule replayed on the curves. ``keep_chance``: points at
    chance are not ranked against each other (their order is noise): where fewer than ``keep`` points are above
    chance, every point at chance goes on to the next rung too."""
    alive, trained, previous = list(range(len(points))), [0] * len(points), 0
    for keep, epochs in schedule:
        if previous:
            order = ranked(points, previous, alive)
            above = [i for i in order if score(points[i], previous) > AT_CHANCE]
            alive = order[:keep] if not keep_chance or len(above) >= keep else above + [i for i in order
                                                                                        if i not in above]
        previous = epochs
        for i in alive:
            trained[i] = min(epochs, len(points[i]["val"]) if points[i]["status"] == "diverged" else epochs)
    return ranked(points, schedule[-1][1], alive)[0], sum(trained)


def verify(runner: Runner, arm, params: list[dict], points: list[dict], schedule: list[tuple[int, int]]) -> dict:
    """Run ``schedule`` for real, each step continued from the last one's checkpoint; whether every epoch's
    validation accuracy equals the straight curve's, the pick, the epochs and CPU seconds it took."""
    checkpoints, curves, status = {}, {i: [] for i in range(len(params))}, {}
    alive, cpu = list(range(len(params))), time.process_time()
    for rung, (keep, epochs) in enumerate(schedule):
        if rung:
            alive = sorted(alive, key=lambda i: (-(value_at(curves[i], len(curves[i])) if status[i] != "diverged"
                                                   else 0.0), i))[:keep]
        for i in alive:
            if status.get(i) == "diverged":
                continue
            run = runner.prepare(config_for(arm, params[i], i, epochs))
            result = run.fit(resume=checkpoints.get(i))
            checkpoints[i], status[i] = run.checkpoint(), result.status
            curves[i] = [e.val_accuracy for e in result.epochs]
    same = all(curves[i] == points[i]["val"][:len(curves[i])] for i in curves)
    pick = sorted(alive, key=lambda i: (-value_at(curves[i], len(curves[i])), i))[0]
    return {"identical": same, "pick": pick, "epochs": sum(len(c) for c in curves.values()),
            "cpu_seconds": time.process_time() - cpu}


def train(cap: int, out: str, check: bool) -> dict:
    runner = Runner()
    document = {"cap": cap, "arms": []}
    for arm, params in quickstart_arms(runner.registry):
        points = []
        for i, point in enumerate(params):
            points.append(runner.curve(config_for(arm, point, i, cap)))
            sys.stderr.write(f"{arm.key} point {i}: {points[-1]['val'][-1]:.3f} at {len(points[-1]['val'])}\n")
        entry = {"arm": arm.key, "params": params, "points": points}
        entry["best_params"] = params[today(points)[0]]
        if check:
            entry["verify"] = verify(runner, arm, params, points, next(iter(SCHEDULES.values())))
        document["arms"].append(entry)
        save(out, document)
    return document


def cpu_per_epoch(entry: dict) -> float:
    return sum(p["cpu_seconds"] for p in entry["points"]) / sum(len(p["val"]) for p in entry["points"])


def tables(document: dict) -> None:
    cap = document["cap"]
    rules = {"today (patience 5, cap 20)": today,
             **{k: (lambda p, s=s, c="at-chance" in k: halving(p, s, c)) for k, s in SCHEDULES.items()}}
    print(f"### Tuning rules (val accuracy of the pick: best epoch within 20 epochs / within {cap})\n")
    print("| arm | rule | pick | val acc @20 | val acc @" + str(cap) + " | epochs |\n|---|---|---|---|---|---|")
    totals = {rule: [0, 0.0, 0, 0, 0.0, 0.0] for rule in rules}  # epochs, CPU s, same as today, as best @cap,
    # worst shortfall @cap against today's pick, against the best point @cap
    for entry in document["arms"]:
        points, base = entry["points"], None
        best = ranked(points, cap)[0]
        for rule, pick_of in rules.items():
            pick, epochs = pick_of(points)
            base = pick if base is None else base
            at20, atcap = score(points[pick], 20), score(points[pick], cap)
            total = totals[rule]
            total[0] += epochs
            total[1] += epochs * cpu_per_epoch(entry)
            total[2] += pick == base
            total[3] += pick == best
            total[4] = max(total[4], score(points[base], cap) - atcap)
            total[5] = max(total[5], score(points[best], cap) - atcap)
            print(f"| {entry['arm']} | {rule} | {lr_label(entry['params'][pick])} | {at20:.4f} | {atcap:.4f} "
                  f"| {epochs} |")
    n = len(document["arms"])
    print(f"\n| rule | epochs, {n} arms | CPU s (one thread) | same pick as today | pick best @{cap} | worst "
          f"shortfall @{cap}: against today's pick / against the best @{cap} |\n|---|---|---|---|---|---|")
    for rule, (epochs, cpu, same, best, loss, miss) in totals.items():
        print(f"| {rule} | {epochs} | {cpu:.0f} | {same}/{n} | {best}/{n} | {loss:.4f} / {miss:.4f} |")
    print(f"\n### Rankings of the 5 points (learning rates, best first; tau: Kendall's against 20 / against {cap})\n")
    print("| arm | " + " | ".join(f"@{e}" for e in (*LOOKS, cap)) + " | tau @3 | tau @5 | tau @10 |\n"
          + "|---|" + "---|" * (len(LOOKS) + 4))
    agree = {e: [0, 0] for e in LOOKS}  # top-1 equal to the one at 20, at cap
    for entry in document["arms"]:
        points = entry["points"]
        orders = [ranked(points, e) for e in (*LOOKS, cap)]
        cells = [" > ".join(f"{entry['params'][i]['lr']:.0e}".replace("e-0", "e-") for i in o) for o in orders]
        taus = []
        for e in LOOKS[:3]:
            now = [score(p, e) for p in points]
            taus.append("/".join(f"{kendalltau(now, [score(p, ref) for p in points]).statistic:.2f}"
                                 for ref in (20, cap)))
        for e, order in zip(LOOKS, orders):
            agree[e][0] += order[0] == orders[LOOKS.index(20)][0]
            agree[e][1] += order[0] == orders[-1][0]
        print(f"| {entry['arm']} | " + " | ".join(cells) + " | " + " | ".join(taus) + " |")
    print(f"\n| look | best point the same as at 20 | the same as at {cap} |\n|---|---|---|")
    for e, (at20, atcap) in agree.items():
        print(f"| epoch {e} | {at20}/{len(document['arms'])} | {atcap}/{len(document['arms'])} |")
    checks = [(e["arm"], e["verify"]) for e in document["arms"] if "verify" in e]
    if checks:
        name = next(iter(SCHEDULES))
        print(f"\n### {name} run for real from checkpoints\n\n| arm | identical to the straight curves | pick | "
              "epochs | CPU s |\n|---|---|---|---|---|")
        for arm, v in checks:
            print(f"| {arm} | {'yes' if v['identical'] else 'NO'} | {v['pick']} | {v['epochs']} | "
                  f"{v['cpu_seconds']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=60)
    parser.add_argument("--out", default=None)
    parser.add_argument("--from", dest="source", default=None)
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    if args.source:
        document = json.loads(open(args.source).read())
    else:
        out = args.out or tempfile.mkstemp(prefix="halving-tune-", suffix=".json")[1]
        sys.stderr.write(f"curves go to {out}\n")
        document = train(args.cap, out, args.verify)
    tables(document)


if __name__ == "__main__":
    main()
