"""Are a sweep's decisions contradicted by the same arms trained to convergence? A check written in plain PyTorch.

For every arm of a stored sweep (its ``results.json``): the arm's best learning rate (and loss, clipping and
initialisation parameters), trained by a hand-written loop that shares nothing with lossbench's engine (own
model, own losses, own remedies; only the dataset's arrays are lossbench's), until the sweep's objective
(validation accuracy, or validation NLL where the spec says ``objective = "val_nll"``: a validation set of a few
series reaches accuracy 1.0 early and then says nothing) has not improved for PATIENCE epochs or CAP epochs, on
SEEDS seeds, tested with its best epoch's weights. Then each
decided comparison of the sweep is checked against the converged means: a "better" or "worse" is contradicted
when the converged difference has the other sign and its 95% t interval excludes zero, an "equivalent" when the
converged difference lies outside the margin with its interval. Prints a Markdown table.

    python benchmarks/converged_check.py results/quickstart/results.json [--seeds 3] [--cap 100] [--all-arms]
        [--only TEXT] [--lr VALUE] [--first-seed 2000]

``--only gru`` trains only the arms whose key holds the text, and then (beside the decided pairs) prints every pair
of the sweep's decisions between them, open ones included; ``--lr`` trains them at one learning rate instead of
their tuned ones (is a gap the tuning's pick, or the arms'?).

Any dataset lossbench loads with equal-length series (the quickstart's mnist1d, ``ucr`` problems such as
ItalyPowerDemand); the losses ce and focal, the cells rnn, gru and lstm, a last-step readout.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lossbench.decisions import DECIDED, MARGIN
from lossbench.registry import load_registry

PATIENCE = 10  # twice the sweep's default: converged here means patient


class Net(nn.Module):
    def __init__(self, cell: str, features: int, hidden: list[int], classes: int):
        super().__init__()
        kind = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
        sizes = [features, *hidden]
        self.layers = nn.ModuleList(kind(sizes[i], sizes[i + 1], batch_first=True) for i in range(len(hidden)))
        self.head = nn.Linear(hidden[-1], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)[0]
        return self.head(x[:, -1])


def loss_of(name: str, params: dict) -> callable:
    if name == "ce":
        return F.cross_entropy
    if name == "focal":
        gamma = float(params.get("focal.gamma", 2.0))

        def focal(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            logp = F.log_softmax(logits, 1).gather(1, y[:, None])[:, 0]
            return (-((1 - logp.exp()) ** gamma) * logp).mean()
        return focal
    raise SystemExit(f"converged_check knows losses ce and focal, not {name}")


def train(arm: dict, spec: dict, data, seed: int, cap: int) -> tuple[float, int]:
    params = {**spec.get("fixed", {}), **arm["best_params"]}
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.as_tensor(data.train.x), torch.as_tensor(data.train.y)
    xv, yv = torch.as_tensor(data.val.x), torch.as_tensor(data.val.y)
    xt, yt = torch.as_tensor(data.test.x), torch.as_tensor(data.test.y)
    model = Net(arm["cell"], x.shape[2], list(spec["hidden"]), data.num_classes)
    remedies = arm["remedies"]
    if "orthogonal_init" in remedies:
        gain = float(params.get("orthogonal_init.gain", 1.0))
        with torch.no_grad():
            for layer in model.layers:
                for name, weight in layer.named_parameters():
                    if name.startswith("weight_hh"):
                        hidden = weight.shape[1]
                        for start in range(0, weight.shape[0], hidden):
                            nn.init.orthogonal_(weight[start:start + hidden], gain=gain)
    loss_fn = loss_of(arm["loss"], params)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(params["lr"]))
    batch = int(spec.get("batch_size", 100))
    maximize = spec.get("objective", "val_accuracy") != "val_nll"
    best, best_epoch, best_state = None, 0, None
    for epoch in range(1, cap + 1):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch):
            index = order[start:start + batch]
            loss = loss_fn(model(x[index]), y[index])
            if not torch.isfinite(loss):
                return float("nan"), epoch
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if "clip_norm" in remedies:
                nn.utils.clip_grad_norm_(model.parameters(), float(params.get("clip_norm.max_norm", 1.0)))
            optimizer.step()
        model.eval()
        with torch.inference_mode():
            logits = model(xv)
            watched = ((logits.argmax(1) == yv).float().mean() if maximize else F.cross_entropy(logits, yv)).item()
        if best is None or (watched > best if maximize else watched < best):
            best, best_epoch = watched, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        if epoch - best_epoch >= PATIENCE:
            break
    model.load_state_dict(best_state)
    with torch.inference_mode():
        return (model(xt).argmax(1) == yt).float().mean().item(), epoch


def interval(diffs: list[float]) -> tuple[float, float, float]:
    from scipy import stats

    mean = float(np.mean(diffs))
    if len(diffs) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(diffs) - 1)) * float(np.std(diffs, ddof=1)) / math.sqrt(len(diffs))
    return mean, mean - half, mean + half


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--cap", type=int, default=100)
    parser.add_argument("--all-arms", action="store_true", help="train every arm, not only those of decided pairs")
    parser.add_argument("--only", help="train only the arms whose key holds this text; print all their pairs")
    parser.add_argument("--lr", type=float, help="train at this learning rate instead of the tuned ones")
    parser.add_argument("--first-seed", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    document = json.load(open(args.results))
    spec = document["spec"]
    dataset = load_registry().get("datasets", spec["dataset"])
    data = dataset.load(**dataset.resolve(spec.get("dataset_params") or None))
    if data.train.lengths is not None or spec.get("readout", "last") != "last":
        raise SystemExit("converged_check reads the last step of equal-length series; this sweep has "
                         + ("series of unequal lengths" if data.train.lengths is not None else
                            f"readout {spec['readout']!r}"))
    seeds = [args.first_seed + i for i in range(args.seeds)]
    arms = {a["arm"]: a for a in document["leaderboard"]}
    if args.lr is not None:
        arms = {k: {**a, "best_params": {**a["best_params"], "lr": args.lr}} for k, a in arms.items()}
    decided = [d for d in document["decisions"]  # not "open", nor "not training"; pairs of arms (a factor's
               if d["kind"] in DECIDED and d["arm"] in arms and d["other"] in arms]  # levels pool arms: not here
    needed = sorted(arms if args.all_arms or args.only else {k for d in decided for k in (d["arm"], d["other"])})
    if args.only:
        needed = [k for k in needed if args.only in k]
        decided = [d for d in decided if d["arm"] in needed and d["other"] in needed]
    converged: dict[str, list[float]] = {}
    started = time.perf_counter()
    print(f"| arm | lr | converged test accuracy ({args.seeds} seeds) | epochs |")
    print("|---|---|---|---|")
    for key in needed:
        runs = [train(arms[key], spec, data, seed, args.cap) for seed in seeds]
        converged[key] = [r[0] for r in runs]
        print(f"| {key} | {arms[key]['best_params'].get('lr', spec.get('fixed', {}).get('lr')):.2e} | "
              f"{np.mean(converged[key]):.3f} ({', '.join(f'{r[0]:.3f}' for r in runs)}) | "
              f"{', '.join(str(r[1]) for r in runs)} |", flush=True)
    print()
    print("| sweep decided | sweep difference | converged difference [95% interval] | verdict |")
    print("|---|---|---|---|")
    contradicted = 0
    margin = MARGIN
    for d in decided:
        mean, low, high = interval([a - b for a, b in zip(converged[d["arm"]], converged[d["other"]])])
        if d["kind"] == "better":
            bad = high < 0
        elif d["kind"] == "worse":
            bad = low > 0
        else:
            bad = low > margin or high < -margin
        contradicted += bad
        print(f"| {d['arm']} {d['kind']} than {d['other']} | {d['difference']:+.3f} | {mean:+.3f} "
              f"[{low:+.3f}, {high:+.3f}] | {'contradicted' if bad else 'not contradicted'} |")
    print(f"\n{len(decided)} decided comparisons, {contradicted} contradicted; {time.perf_counter() - started:.0f} s")
    if args.only:
        print("\n| pair (the sweep's verdict) | sweep difference | converged difference [95% interval] | converged |")
        print("|---|---|---|---|")
        for d in document["decisions"]:
            if d["arm"] in converged and d["other"] in converged:
                mean, low, high = interval([a - b for a, b in zip(converged[d["arm"]], converged[d["other"]])])
                found = (f"within +-{margin:g}" if -margin < low and high < margin else
                         "differs" if low > 0 or high < 0 else "undecided")
                print(f"| {d['arm']} against {d['other']} ({d['kind']}) | {d['difference']:+.3f} | {mean:+.3f} "
                      f"[{low:+.3f}, {high:+.3f}] | {found} |")


if __name__ == "__main__":
    main()
