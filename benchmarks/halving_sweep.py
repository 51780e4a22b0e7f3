"""Tuning by successive halving against the patience rule, as the sweep runs them (issue 28 item 5): the same
preset's sweep (the quickstart by default) run with ``tuning = "patience"`` and ``tuning = "halving"``, alternated
(patience, halving, halving, patience per round) so that a change in the machine's load falls on both alike, with
the reference run (benchmarks/hand_loop.py, one torch thread) before, between and after.

Each sweep is the preset's own spec with one final seed and no race (the final phase is not what differs, and it is
kept short; its time is reported apart), one worker of one torch thread. From storage: each arm's tuned pick (the
trial the final phase reruns), the epochs its tuning trained (a continued run's epochs once: no epoch twice), the
tuning phase's wall seconds (from the first tuning trial's start to the last one's end: one worker tunes every arm
before any final run) and the trials' own seconds. Prints Markdown: the picks of both rules side by side (equal?,
each pick's tuning objective), the times per run, and their ratio in units of the reference run.

    python benchmarks/halving_sweep.py [--preset quickstart] [--rounds 1] [--keep DIR]   # quickstart: about 15 min
    python benchmarks/halving_sweep.py --from benchmarks/data/halving/sweep_quickstart.json   # its tables again
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from table import wall

HERE = Path(__file__).parent
RULES = ("patience", "halving")


def reference() -> dict:
    """hand_loop.py in a process of its own, one torch thread: its whole wall seconds and the load average."""
    return {"seconds": wall([sys.executable, str(HERE / "hand_loop.py")]), "load": os.getloadavg()}


def one_sweep(preset: str, rule: str, name: str, out: str) -> dict:
    """Run the preset with ``rule``; what it tuned and what that took, read back from storage."""
    from lossbench import sweep
    from lossbench.sweep.inputs import preset_fields

    fields = {**preset_fields(preset), "name": name, "seeds": 1, "race": False, "tuning": rule}
    load = os.getloadavg()
    started = time.perf_counter()
    sweep.run(fields, out=out, workers=1, threads=1)
    seconds = time.perf_counter() - started
    return {"rule": rule, "seconds": seconds, "load": load, **read_back(name, out)}


def read_back(name: str, out: str) -> dict:
    """From storage: each arm's pick and its objective, the tuning epochs, the tuning phase's and trials' seconds."""
    import optuna

    from lossbench.results import read_sweep, tuned_best
    from lossbench.results.storage import open_storage

    journal = str(Path(out) / name / "sweep.journal")
    data = read_sweep(name, journal)
    storage = open_storage(journal)
    spans, picks, epochs, trial_seconds = [], {}, 0, 0.0
    finals = {arm.key: sorted((t.seed, t.run.test_metric("accuracy")) for t in arm.completed_final)
              for arm in data.arms}
    for arm in data.arms:
        tuning = arm.tuning_runs
        best = tuned_best(tuning, data.spec)
        picks[arm.key] = (best.params if best else None, best.value if best else None)
        for t in tuning:
            run = t.run
            if t.state == "COMPLETE" or t.state == "PRUNED":
                epochs += len(run.epochs) - (run.continued_from or 0) if run else 0
                trial_seconds += (t.user_attrs.get("timing") or {}).get("train_seconds") or 0.0
        study = optuna.load_study(study_name=f"{name}:{arm.key}:tune", storage=storage)
        spans += [(t.datetime_start.timestamp(), t.datetime_complete.timestamp())
                  for t in study.get_trials(deepcopy=False) if t.datetime_start and t.datetime_complete]
    tuning_seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    return {"tuning_seconds": tuning_seconds, "trial_seconds": trial_seconds, "epochs": epochs, "picks": picks,
            "finals": finals}


def label(params: dict | None) -> str:
    if params is None:
        return "none"
    return ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in sorted(params.items()))


def report(runs: list[dict], refs: list[dict]) -> None:
    ref = statistics.median(r["seconds"] for r in refs)
    print("| reference run (hand_loop.py, one thread) | s | load average (1, 5, 15 min) |\n|---|---|---|")
    for r in refs:
        print(f"| | {r['seconds']:.1f} | {', '.join(f'{x:.2f}' for x in r['load'])} |")
    print("\n| run | rule | tuning epochs | tuning s (phase) | tuning s (trials) | whole sweep s | in reference runs "
          "(tuning) | load average at start |\n|---|---|---|---|---|---|---|---|")
    for i, run in enumerate(runs, 1):
        print(f"| {i} | {run['rule']} | {run['epochs']} | {run['tuning_seconds']:.0f} | {run['trial_seconds']:.0f} | "
              f"{run['seconds']:.0f} | {run['tuning_seconds'] / ref:.1f} | {run['load'][0]:.2f} |")
    by = {rule: [r for r in runs if r["rule"] == rule] for rule in RULES}
    mean = {rule: statistics.mean(r["tuning_seconds"] for r in by[rule]) for rule in RULES}
    whole = {rule: statistics.mean(r["seconds"] for r in by[rule]) for rule in RULES}
    print(f"\nTuning time, halving / patience: {mean['halving'] / mean['patience']:.2f} (phase wall seconds, mean of "
          f"{len(by['halving'])} each); whole sweep (one final seed): {whole['halving'] / whole['patience']:.2f}; "
          f"tuning epochs {by['halving'][0]['epochs']} / {by['patience'][0]['epochs']}.\n")
    first = {rule: by[rule][0]["picks"] for rule in RULES}
    steady = all(r["picks"] == first[r["rule"]] for r in runs)
    print(f"| arm | patience: pick (objective) | halving: pick (objective) | same pick |\n|---|---|---|---|")
    same = 0
    for arm, (params, value) in first["patience"].items():
        other, other_value = first["halving"][arm]
        same += params == other
        print(f"| {arm} | {label(params)} ({value:.4f}) | {label(other)} ({other_value:.4f}) | "
              f"{'yes' if params == other else 'no'} |")
    print(f"\nSame pick on {same} of {len(first['patience'])} arms; every repeat of a rule picked as its first run did: "
          f"{'yes' if steady else 'NO'}; the final runs' test accuracies identical in every run: "
          f"{'yes' if all(r['finals'] == runs[0]['finals'] for r in runs) else 'NO'}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quickstart")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--keep", default=None, help="a folder to keep the sweeps and the JSON in")
    parser.add_argument("--from", dest="source", default=None,
                        help="a --keep folder or its JSON (benchmarks/data/halving/sweep_*.json): its tables again")
    args = parser.parse_args()
    if args.source:
        source = Path(args.source)
        document = json.loads((source / "halving_sweep.json" if source.is_dir() else source).read_text())
        report(document["runs"], document["references"])
        return
    out = args.keep or tempfile.mkdtemp(prefix="halving-sweep-")
    runs, refs = [], [reference()]
    for round_ in range(args.rounds):
        for i, rule in enumerate(("patience", "halving", "halving", "patience")):
            runs.append(one_sweep(args.preset, rule, f"{args.preset}-{rule}-{round_}-{i}", out))
            sys.stderr.write(f"{rule}: tuning {runs[-1]['tuning_seconds']:.0f} s, {runs[-1]['epochs']} epochs\n")
            if i == 1:
                refs.append(reference())
    refs.append(reference())
    (Path(out) / "halving_sweep.json").write_text(json.dumps({"runs": runs, "references": refs}, indent=1))
    report(runs, refs)


if __name__ == "__main__":
    main()
