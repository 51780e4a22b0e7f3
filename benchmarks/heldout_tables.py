"""The tables of the held-out study from heldout.py's saved counts (no training).

A run "at e epochs" is tested with the weights of its best validation epoch within e (an improvement beats the best
so far by more than 0.002, as the engine tracks it), the validation set being the standard 400 signals, the first
2000 or all 4000 extra ones, or the 400 and the 4000 together (4400). Its test accuracy is read on the standard
1000 test signals or on the first 1000, 2000, 5000 or all 20000 extra ones ("x1000" etc.: disjoint subsets of the
extra set, for the tables that count in how many subsets a conclusion holds). TOST shows a pair within +-0.02 at
level alpha when |mean| + t(1 - alpha, n - 1) sd / sqrt(n) < 0.02 (halving_converge.tost_bound).

    cd benchmarks && python heldout_tables.py data/heldout/gru.json data/heldout/rnn.json
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
from scipy.stats import t as student

from halving_arms import best_epoch, patience_stop
from halving_converge import MARGIN, ms, pairs, tost_bound

LOOKS = (20, 30, 40, 60)
FIRST = 10  # epochs searched for "stays below the margin from"
ALPHAS = (0.05 / 48, 0.05 / 24)


def val_curve(run: dict, val: str, chunk: int) -> list[float]:
    """Validation accuracy per epoch on ``val``: "400", "2000" (the first extra chunks), "4000" or "4400"."""
    if val == "400":
        return run["val400"]
    if val == "4400":
        return [(round(a * 400) + sum(c)) / (400 + chunk * len(c)) for a, c in zip(run["val400"], run["val_extra"])]
    k = int(val) // chunk
    return [sum(c[:k]) / (k * chunk) for c in run["val_extra"]]


def test_value(run: dict, epoch: int, test: str, chunk: int, subset: int = 0) -> float:
    """Test accuracy of the model after ``epoch`` on ``test``: "std" (the standard 1000) or a size of extra
    signals, the ``subset``-th disjoint subset of that size."""
    if test == "std":
        return run["test1000"][epoch - 1] / 1000
    k = int(test) // chunk
    return sum(run["test_extra"][epoch - 1][subset * k:(subset + 1) * k]) / (k * chunk)


def at(run: dict, upto: int, val: str, test: str, chunk: int, subset: int = 0) -> float:
    epoch = best_epoch(val_curve(run, val, chunk), upto)
    return test_value(run, epoch, test, chunk, subset) if epoch else math.nan


def diffs(arm: dict, base: dict, upto: int, val: str, test: str, chunk: int, n: int | None = None,
          subset: int = 0) -> np.ndarray:
    """Per-seed differences arm - base over their first ``n`` common seeds."""
    mine = {r["seed"]: r for r in arm["runs"]}
    theirs = [r for r in base["runs"] if r["seed"] in mine][:n]
    return np.array([at(mine[r["seed"]], upto, val, test, chunk, subset) - at(r, upto, val, test, chunk, subset)
                     for r in theirs])


def label(arm: dict, base: dict) -> str:
    return f"{arm['arm'].split('@')[0]} - {base['arm'].split('@')[0]}"


def subsets(doc: dict, test: str) -> int:
    return 1 if test == "std" else doc["test_extra"]["samples"] // int(test)


def stays_below(bounds: dict[int, float]) -> int | None:
    return next((e for e in bounds if all(bounds[k] < MARGIN for k in bounds if k >= e)), None)


def arm_table(doc: dict) -> None:
    c, looks = doc["chunk"], [e for e in LOOKS if e <= doc["epochs"]]
    print("### Test accuracy per arm (mean ± sd over seeds; best epoch by the 400 / by the 4000 validation signals)\n")
    print("| arm | seeds | " + " | ".join(f"@{e} std 1000 / 20000 (val 400) | @{e} 20000 (val 4000)" for e in looks)
          + " |\n|---|---|" + "---|---|" * len(looks))
    for a in doc["arms"]:
        cells = [f"{ms([at(r, e, '400', 'std', c) for r in a['runs']])} / "
                 f"{ms([at(r, e, '400', '20000', c) for r in a['runs']])} | "
                 f"{ms([at(r, e, '4000', '20000', c) for r in a['runs']])}" for e in looks]
        print(f"| {a['arm']} | {len(a['runs'])} | " + " | ".join(cells) + " |")


def spread_table(doc: dict, gru: list) -> None:
    c = doc["chunk"]
    rows = [(v, t) for v in ("400", "4000") for t in ("std", "1000", "2000", "5000", "20000")] + [("2000", "20000"),
                                                                                                ("4400", "20000")]
    print("\n### GRU pairs, 7 seeds: per-seed paired difference of test accuracy, mean ± sd (1000/2000/5000: the "
          "first subset of the extra signals)\n")
    print("| pair | validation | test | " + " | ".join(f"@{e}" for e in LOOKS) + " |\n|---|---|---|"
          + "---|" * len(LOOKS))
    for arm, base in gru:
        for val, test in rows:
            cells = [ms(diffs(arm, base, e, val, test, c)) for e in LOOKS]
            print(f"| {label(arm, base)} | {val} | {'standard 1000' if test == 'std' else test} | "
                  + " | ".join(cells) + " |")


def noise_table(doc: dict, gru: list, looks: tuple[int, ...] = (40, 60)) -> None:
    """Within a seed, the paired difference on each disjoint 1000 of the extra set varies by test sampling alone:
    its sd (pooled over seeds) is the test-set noise of a 1000-signal set; the sd across seeds on all 20000 is the
    training noise (plus that sampling noise over 20)."""
    c, k = doc["chunk"], doc["test_extra"]["samples"] // doc["chunk"]
    print("\n### Pairs: where the spread comes from (sd of the paired difference; sampling: within a seed, over "
          f"the {k} disjoint 1000s of the extra set, pooled over seeds; n-signal set: sqrt(seeds² + sampling² x "
          "1000/n))\n")
    print("| pair | validation | epochs | sd standard 1000 (observed) | sd across seeds on 20000 | test sampling sd "
          "of 1000 | predicted 1000 / 5000 / 20000 |\n|---|---|---|---|---|---|---|")
    for arm, base in gru:
        for val in ("400", "4000"):
            for e in looks:
                per = np.array([diffs(arm, base, e, val, "1000", c, subset=s) for s in range(k)])  # [subset, seed]
                sampling = math.sqrt(per.var(axis=0, ddof=1).mean())
                seeds = diffs(arm, base, e, val, "20000", c).std(ddof=1)
                pred = [math.sqrt(seeds ** 2 + sampling ** 2 * (1000 / n - 1000 / 20000)) for n in (1000, 5000, 20000)]
                print(f"| {label(arm, base)} | {val} | {e} | {diffs(arm, base, e, val, 'std', c).std(ddof=1):.4f} | "
                      f"{seeds:.4f} | {sampling:.4f} | " + " / ".join(f"{p:.4f}" for p in pred) + " |")


def tost_tables(doc: dict, gru: list) -> None:
    c = doc["chunk"]
    rows = [("400", "std"), ("400", "5000"), ("400", "20000"), ("4000", "std"), ("4000", "2000"), ("4000", "5000"),
            ("4000", "20000"), ("4400", "20000")]
    counts = (5, 7)
    for alpha in ALPHAS:
        print(f"\n### GRU pairs: TOST bound at alpha 0.05/{round(0.05 / alpha)} (✓: within ±{MARGIN}); \"from\": the "
              f"first epoch from which it stays below, searched {FIRST}..{doc['epochs']}\n")
        print("| pair | validation | test | " + " | ".join(" | ".join(f"{n} seeds @{e}" for e in LOOKS)
                                                       + f" | {n} seeds from" for n in counts)
              + " |\n|---|---|---|" + "---|" * (len(LOOKS) + 1) * len(counts))
        for arm, base in gru:
            for val, test in rows:
                cells = []
                for n in counts:
                    bounds = {e: tost_bound(diffs(arm, base, e, val, test, c, n), alpha)
                              for e in range(FIRST, doc["epochs"] + 1)}
                    cells += [f"{bounds[e]:.4f}{' ✓' if bounds[e] < MARGIN else ''}" for e in LOOKS]
                    cells.append(str(stays_below(bounds) or "-"))
                print(f"| {label(arm, base)} | {val} | {'standard 1000' if test == 'std' else test} | "
                      + " | ".join(cells) + " |")


def plateau_table(doc: dict, gru: list) -> None:
    """As lossbench's final runs stop: the patience rule (min delta 0.002, not before epoch 10) with the engine's
    patience 5, and with 10, on the chosen validation curve, capped at the study's epochs, each run tested at its
    best epoch."""
    c, cap = doc["chunk"], doc["epochs"]
    print(f"\n### GRU pairs at the patience stop (cap {cap}): stop epochs of both arms' runs (median, range), "
          f"paired difference mean ± sd (7 seeds), TOST bound at 0.05/48 for 5 / 7 seeds (✓: within ±{MARGIN})\n")
    print("| pair | patience | validation | test | stop epochs | difference | TOST 5 / 7 seeds |\n"
          "|---|---|---|---|---|---|---|")
    for arm, base in gru:
        mine = {r["seed"]: r for r in arm["runs"]}
        common = [(mine[r["seed"]], r) for r in base["runs"] if r["seed"] in mine]
        for patience in (5, 10):
            for val, test in (("400", "std"), ("400", "20000"), ("4000", "std"), ("4000", "5000"), ("4000", "20000")):
                stops = {id(r): patience_stop(val_curve(r, val, c), cap, patience)[:2] for pair in common for r in pair}
                d = np.array([test_value(a, stops[id(a)][1], test, c) - test_value(b, stops[id(b)][1], test, c)
                              for a, b in common])
                epochs = [e for e, _ in stops.values()]
                bounds = [tost_bound(d[:n], ALPHAS[0]) for n in (5, 7)]
                print(f"| {label(arm, base)} | {patience} | {val} | {'standard 1000' if test == 'std' else test} | "
                      f"{int(np.median(epochs))} ({min(epochs)}-{max(epochs)}) | {ms(d)} | "
                      + " / ".join(f"{b:.4f}{' ✓' if b < MARGIN else ''}" for b in bounds) + " |")


def subset_table(doc: dict, gru: list) -> None:
    c = doc["chunk"]
    print(f"\n### GRU pairs: in how many disjoint subsets of the extra test signals TOST shows the pair within "
          f"±{MARGIN} (7 and 5 seeds, alpha 0.05/48)\n")
    sizes = ("1000", "2000", "5000")
    print("| pair | validation | epochs | " + " | ".join(f"{s} (7 / 5 seeds)" for s in sizes)
          + " |\n|---|---|---|" + "---|" * len(sizes))
    for arm, base in gru:
        for val in ("400", "4000"):
            for e in (30, 40, 60):
                cells = []
                for size in sizes:
                    m = subsets(doc, size)
                    yes = [sum(tost_bound(diffs(arm, base, e, val, size, c, n, s), ALPHAS[0]) < MARGIN
                               for s in range(m)) for n in (7, 5)]
                    cells.append(f"{yes[0]} / {yes[1]} of {m}")
                print(f"| {label(arm, base)} | {val} | {e} | " + " | ".join(cells) + " |")


def rnn_table(doc: dict) -> None:
    """The tanh RNN pair: a paired t-test (two-sided) at several epochs; decided where p < alpha."""
    c = doc["chunk"]
    looks = [e for e in (10, 15, 20, 25, 30, 35, 40, 50, 60) if e <= doc["epochs"]]
    print("\n### tanh RNN pair: paired difference of test accuracy, mean ± sd, and the paired t-test's two-sided p "
          "(** below 0.05/48, * below 0.05/24)\n")
    print("| pair | validation | test | " + " | ".join(f"@{e}" for e in looks) + " |\n|---|---|---|"
          + "---|" * len(looks))
    for _, arm, base in pairs(doc["arms"]):
        for val, test in (("400", "std"), ("400", "5000"), ("400", "20000"), ("4000", "std"), ("4000", "20000")):
            cells = []
            for e in looks:
                d = diffs(arm, base, e, val, test, c)
                p = 2 * student.sf(abs(d.mean()) / (d.std(ddof=1) / math.sqrt(len(d))), len(d) - 1)
                stars = "**" if p < ALPHAS[0] else "*" if p < ALPHAS[1] else ""
                cells.append(f"{ms(d, 3)} ({p:.1g}){stars}")
            print(f"| {label(arm, base)} | {val} | {'standard 1000' if test == 'std' else test} | "
                  + " | ".join(cells) + " |")


def join(docs: list[dict]) -> dict:
    """One study from shares trained with the same settings (heldout.py --arm ... in parallel processes)."""
    settings = [{k: v for k, v in d.items() if k != "arms"} for d in docs]
    if any(s != settings[0] for s in settings):
        raise SystemExit("these files were trained with different settings: not one study")
    return {**settings[0], "arms": [a for d in docs for a in d["arms"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="heldout.py's JSON files")
    parser.add_argument("--join", metavar="OUT", help="first join the files' arms (shares of one study) into OUT")
    args = parser.parse_args()
    docs = [json.loads(open(path).read()) for path in args.files]
    if args.join:
        docs = [join(docs)]
        open(args.join, "w").write(json.dumps(docs[0], separators=(",", ":")))
    for doc in docs:
        gru = [(a, b) for _, a, b in pairs(doc["arms"]) if a["cell"] == b["cell"] == "gru"]
        arm_table(doc)
        if gru:
            spread_table(doc, gru)
            noise_table(doc, gru)
            tost_tables(doc, gru)
            plateau_table(doc, gru)
            subset_table(doc, gru)
        if any(a["cell"] == "rnn" for a in doc["arms"]):
            rnn_table(doc)
            noise_table(doc, [(a, b) for _, a, b in pairs(doc["arms"]) if a["cell"] == b["cell"] == "rnn"], (20, 40))
        print()


if __name__ == "__main__":
    main()
