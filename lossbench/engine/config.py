"""What one run is, and how its names and values are checked against the registry before anything trains."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lossbench.api.specs import CellSpec, DatasetSpec, LossSpec, RemedySpec
from lossbench.errors import IncompatibleError, LossbenchError, ParameterError, UnknownNameError
from lossbench.registry import Blame, Registry
from lossbench.results.objective import OBJECTIVES
from lossbench.text import shown

OPTIMIZERS = ("adam", "rmsprop", "sgd")
MONITORS = tuple(OBJECTIVES)  # what patience watches: a tuning objective (``lossbench.results.objective``)
DEVICES = ("cpu", "cuda")  # "cuda:N" names one GPU
READOUTS = ("last", "mean", "all")  # what the head reads (lossbench.engine.model.SequenceModel.read)

MAX_THREADS = 1024
LR_MAX = 1e6  # far past any divergence a study wants to see; near float32's limit torch's optimisers raise


# Upper bounds on every number of a run a user can give, checked before anything is built (docs/failures.md: "Limits").
SEED_MAX = 2**32 - 1  # numpy's seeds are 32-bit; torch's generator takes them too
EPOCHS_MAX = 100_000
BATCH_SIZE_MAX = 10_000_000
HIDDEN_MAX = 16_384  # units in one layer
LAYERS_MAX = 32
FLOW_EVERY_MAX = EPOCHS_MAX
# Weights, gradients and Adam's two moments in float32, for an LSTM-sized cell (4 gates), the largest built-in.
BYTES_PER_PARAM = 4 * 4
GATES = 4


def int_problem(label: str, value: Any, low: int, high: int) -> str | None:
    """Why ``value`` cannot be ``label`` (an integer in [low, high]), or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"{label} must be an integer in [{low}, {high}], got {shown(value)}"
    return None


def hidden_problems(hidden: Any) -> list[str]:
    """Hidden sizes (one per layer) within the bounds and within this machine's memory."""
    sizes = list(hidden) if isinstance(hidden, (list, tuple)) else [hidden]
    if not sizes:
        return ["hidden sizes must be at least one size"]
    problems = [p for p in (int_problem("a hidden size", h, 1, HIDDEN_MAX) for h in sizes) if p]
    if len(sizes) > LAYERS_MAX:
        problems.append(f"at most {LAYERS_MAX} layers, got {len(sizes)}")
    if not problems:
        need = sum(GATES * (2 * h + 2) * h for h in sizes) * BYTES_PER_PARAM  # a layer's input taken as wide as it
        have = _memory_bytes()
        if have and need > have:
            problems.append(f"hidden sizes {shown(sizes)} ({len(sizes)} layers) need about {need / 2**30:.1f} GiB "
                            f"for weights, gradients and optimiser state (4 gates a layer); this machine has "
                            f"{have / 2**30:.1f} GiB")
    return problems


def _memory_bytes() -> int | None:
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def lr_problem(lr: Any) -> str | None:
    """Why ``lr`` cannot be a learning rate (a number, not text: "0.01" from Python would be a second spelling of
    the same sweep), or None."""
    value = float(lr) if isinstance(lr, (int, float)) and not isinstance(lr, bool) else float("nan")
    if not 0 < value <= LR_MAX:  # NaN fails too
        return f"learning rate must be a number in (0, {LR_MAX:g}], got {lr!r}"
    return None


@dataclass(frozen=True)
class RunConfig:
    """One run: which components, their parameters (``params[component] = {name: value}``) and the training setup."""

    dataset: str = "mnist1d"
    cell: str = "gru"
    loss: str = "ce"
    remedies: tuple[str, ...] = ()
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-2
    hidden: tuple[int, ...] = (128,)
    readout: str = "last"  # what the head reads: the last valid step, the mean over valid steps, or all steps
    optimizer: str = "adam"
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None  # torch threads for this run (None: leave torch's setting as it is)
    flow_every: int = 0  # gradient-flow profile every N epochs (0: at initialisation and at the end only)
    flow_profile: bool = True
    flow_batch: int = 128
    # Epochs as a cap: with ``patience`` set, the run stops once that many epochs brought no gain on the best
    # validation ``monitor`` (val_accuracy or val_nll; see lossbench.convergence) and is tested with the weights
    # of its best epoch. None: exactly ``epochs`` epochs, tested at the last.
    patience: int | None = None
    monitor: str = "val_accuracy"
    min_epochs: int | None = None  # no stop on patience before this epoch (a sweep's final runs: see convergence)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["remedies"], data["hidden"] = list(self.remedies), list(self.hidden)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunConfig:
        data = dict(data)
        hidden = data.get("hidden", (128,))
        data["remedies"] = tuple(data.get("remedies", ()))
        data["hidden"] = (hidden,) if isinstance(hidden, int) else tuple(hidden)
        return cls(**data)


@dataclass
class ResolvedRun:
    """The specs a run uses and every component's parameters, checked and complete."""

    config: RunConfig
    dataset: DatasetSpec
    cell: CellSpec
    loss: LossSpec
    remedies: list[RemedySpec]
    params: dict[str, dict[str, Any]]
    labels: dict[str, str] = field(default_factory=dict)  # component name -> "loss focal (plugin losses)"

    def blame(self, name: str, stage: str) -> Blame:
        """Blame ``stage`` of component ``name`` for what it raises (see :class:`lossbench.registry.Blame`)."""
        return Blame(self.labels.get(name, name), stage)


def resolve(config: RunConfig, registry: Registry) -> ResolvedRun:
    """Look every name up, check every value and every combination; raise one error listing all problems."""
    problems: list[str] = []
    specs: dict[str, Any] = {}
    for kind, key, name in [("datasets", "dataset", config.dataset), ("cells", "cell", config.cell),
                            ("losses", "loss", config.loss)]:
        try:
            specs[key] = registry.get(kind, name)
        except UnknownNameError as error:
            problems.append(str(error))
    remedies = []
    for name in config.remedies:
        try:
            remedies.append(registry.get("remedies", name))
        except UnknownNameError as error:
            problems.append(str(error))
    if len(set(config.remedies)) != len(config.remedies):
        problems.append(f"a remedy is listed twice: {', '.join(config.remedies)}")
    problems += _check_training(config)
    components = {spec.name: spec for spec in [*specs.values(), *remedies]}
    for name in config.params:
        if name not in components:
            problems.append(f"parameters are given for {name!r}, which is not a component of this run "
                            f"({', '.join(components) or 'none resolved'})")
    params: dict[str, dict[str, Any]] = {}
    for name, spec in components.items():
        try:
            params[name] = spec.resolve(config.params.get(name))
        except ParameterError as error:
            problems.append(str(error))
    if not problems:
        problems += model_problems(specs["dataset"], specs["cell"], params[specs["cell"].name], config.readout)
        problems += compatibility_problems(specs["dataset"], specs["cell"], specs["loss"], remedies,
                                           params[specs["cell"].name], registry)
    if problems:
        raise LossbenchError(problems[0] if len(problems) == 1 else "\n  - ".join(["invalid run:", *problems]))
    kinds = [("datasets", specs["dataset"]), ("cells", specs["cell"]), ("losses", specs["loss"]),
             *(("remedies", r) for r in remedies)]
    labels = {spec.name: registry.describe(kind, spec.name) for kind, spec in kinds}
    return ResolvedRun(config, specs["dataset"], specs["cell"], specs["loss"], remedies, params, labels)


def compatibility_problems(dataset: DatasetSpec | None, cell: CellSpec, loss: LossSpec, remedies: list[RemedySpec],
                           cell_params: dict[str, Any], registry: Registry) -> list[str]:
    """Why these components cannot run together (a remedy's own ``check`` included); no dataset: remedies only."""
    problems = []
    if dataset is not None and not dataset.targets & loss.targets:
        problems.append(f"loss {loss.name} supports {'/'.join(sorted(loss.targets))} targets; dataset "
                        f"{dataset.name} has {'/'.join(sorted(dataset.targets))} targets")
    for remedy in remedies:
        with Blame(registry.describe("remedies", remedy.name), "its check"):
            reason = remedy.incompatibility(cell, cell_params)
        if reason:
            problems.append(reason)
    return problems


def model_problems(dataset: DatasetSpec | None, cell: CellSpec, cell_params: dict[str, Any], readout: Any) -> list[str]:
    """Why the model's shape (the cell's directions, the readout) does not fit the dataset."""
    if readout not in READOUTS:
        return [str(UnknownNameError("readout", str(readout), READOUTS))]
    both = cell.directions(cell_params) == 2
    if dataset is not None and dataset.per_step and (both or readout != "last"):
        what = " and ".join(word for word, on in ((f"{cell.name}.bidirectional", both),
                                                  (f"readout {readout}", readout != "last")) if on)
        return [f"dataset {dataset.name} has a target at every step, predicted from the steps up to it: {what} "
                f"does not apply (a per-step target is read at its own step)"]
    return []


def check_loss_fits(loss: LossSpec, target_kind: str, dataset_name: str) -> None:
    """After loading: a loss that cannot handle the dataset's actual target kind is refused."""
    if target_kind not in loss.targets:
        raise IncompatibleError(f"loss {loss.name} supports {'/'.join(sorted(loss.targets))} targets; "
                                f"dataset {dataset_name} has {target_kind} targets")


def _check_training(config: RunConfig) -> list[str]:
    problems = [p for p in (int_problem("epochs", config.epochs, 1, EPOCHS_MAX),
                            int_problem("batch size", config.batch_size, 1, BATCH_SIZE_MAX),
                            int_problem("seed", config.seed, 0, SEED_MAX),
                            int_problem("flow_every", config.flow_every, 0, FLOW_EVERY_MAX)) if p]
    if config.patience is not None and (problem := int_problem("patience", config.patience, 1, EPOCHS_MAX)):
        problems.append(problem)
    if config.min_epochs is not None and (problem := int_problem("min_epochs", config.min_epochs, 1, EPOCHS_MAX)):
        problems.append(problem)
    if config.monitor not in MONITORS:
        problems.append(str(UnknownNameError("monitor", config.monitor, MONITORS)))
    if (problem := lr_problem(config.lr)) is not None:
        problems.append(problem)
    problems += hidden_problems(config.hidden)
    if config.optimizer not in OPTIMIZERS:
        problems.append(str(UnknownNameError("optimizer", config.optimizer, OPTIMIZERS)))
    if config.device not in DEVICES and not _is_gpu_index(config.device):
        problems.append(str(UnknownNameError("device", config.device, DEVICES)))
    if config.threads is not None and (isinstance(config.threads, bool) or not isinstance(config.threads, int)
                                       or not 1 <= config.threads <= MAX_THREADS):
        problems.append(f"threads must be an integer in [1, {MAX_THREADS}], got {shown(config.threads)}")
    return problems


def _is_gpu_index(device: str) -> bool:
    kind, colon, index = str(device).partition(":")
    return kind == "cuda" and bool(colon) and index.isdigit()
