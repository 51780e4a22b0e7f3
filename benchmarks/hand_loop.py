"""A hand-written PyTorch loop doing the work of the engine's reference run, for the speed benchmark.

mnist1d (the same arrays lossbench trains on), one GRU layer of 128, Adam lr 0.01, batch 100, 10 epochs,
validation accuracy and NLL after every epoch, test accuracy at the end. Prints JSON.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F

from lossbench.registry import load_registry


class Net(nn.Module):
    def __init__(self, features: int, hidden: int, classes: int):
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.gru(x)[0][:, -1])


def main(epochs: int = 10, seed: int = 0) -> None:
    mnist1d = load_registry().get("datasets", "mnist1d")
    data = mnist1d.load(**mnist1d.resolve())
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.as_tensor(data.train.x), torch.as_tensor(data.train.y)
    xv, yv = torch.as_tensor(data.val.x), torch.as_tensor(data.val.y)
    xt, yt = torch.as_tensor(data.test.x), torch.as_tensor(data.test.y)
    model = Net(x.shape[2], 128, data.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 100):
            index = order[start:start + 100]
            loss = F.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.inference_mode():
            logits = model(xv)
            val_nll = F.cross_entropy(logits, yv).item()
            val_accuracy = (logits.argmax(1) == yv).float().mean().item()
    with torch.inference_mode():
        test_accuracy = (model(xt).argmax(1) == yt).float().mean().item()
    json.dump({"wall_seconds": time.perf_counter() - started, "test_accuracy": test_accuracy,
               "val_accuracy": val_accuracy, "val_nll": val_nll,
               "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, sys.stdout)


if __name__ == "__main__":
    main()
