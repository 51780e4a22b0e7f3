"""The UCR/UEA ``.ts`` format, written by hand so that tests need no download (``read_ts`` and ``ucr`` read it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def ts_text(cases: Sequence[np.ndarray], labels: Sequence[str], class_labels: Sequence[str], problem: str = "Toy") -> str:
    """A ``.ts`` file of ``cases`` (each [steps, dims]; NaN is written ``?``) labelled ``labels``."""
    dims = np.asarray(cases[0]).reshape(len(cases[0]), -1).shape[1]
    equal = len({len(c) for c in cases}) == 1
    lines = [f"@problemName {problem}", "@timeStamps false", "@missing true",
             f"@univariate {'true' if dims == 1 else 'false'}", f"@dimensions {dims}",
             f"@equalLength {'true' if equal else 'false'}", f"@classLabel true {' '.join(class_labels)}", "@data"]
    for case, label in zip(cases, labels):
        case = np.asarray(case, dtype=float).reshape(len(case), -1)
        fields = [",".join("?" if np.isnan(v) else repr(float(v)) for v in case[:, d]) for d in range(case.shape[1])]
        lines.append(":".join(fields) + f":{label}")
    return "\n".join(lines) + "\n"


def write_ts_problem(folder: Path, name: str, seed: int = 0, dims: int = 2, classes: Sequence[str] = ("a", "b"),
                     lengths: tuple[int, int] = (5, 12), n_train: int = 24, n_test: int = 10) -> Path:
    """``folder/<name>_TRAIN.ts`` and ``_TEST.ts`` with unequal lengths drawn from ``lengths``; each class has its
    own mean, so a model can learn it. Returns the folder."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for part, n in (("TRAIN", n_train), ("TEST", n_test)):
        labels = [classes[i % len(classes)] for i in range(n)]
        cases = [rng.normal(classes.index(label), 1.0, size=(int(rng.integers(*lengths, endpoint=True)), dims))
                 for label in labels]
        (folder / f"{name}_{part}.ts").write_text(ts_text(cases, labels, classes, problem=name))
    return folder
