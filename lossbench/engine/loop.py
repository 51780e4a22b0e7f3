"""Training one prepared run: build the model with its remedies, train, measure. No Optuna here: a sweep passes
``on_epoch``, which may ask to stop (pruning)."""

from __future__ import annotations

import math
import platform
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lossbench.api.data import Dataset, Split
from lossbench.api.remedy import ModelInfo
from lossbench.convergence import TARGET_SHARE, at_chance, improved, stops, time_to_target
from lossbench.engine.checkpoint import Checkpoint, load_training_state, training_state
from lossbench.engine.config import ResolvedRun
from lossbench.engine.flow import ALIGNMENT, directions, flow_profile, vanishing_ratio
from lossbench.engine.metrics import evaluate_logits
from lossbench.engine.model import SequenceModel, step_mask
from lossbench.results.objective import Objective
from lossbench.results.run import EpochRecord, RunResult
from lossbench.errors import LossbenchError, PluginCodeError
from lossbench.registry import Blame

EVAL_BATCH = 1000
StepCallback = Callable[[int, int, int], None]  # (epoch, step, steps per epoch)
EpochCallback = Callable[[EpochRecord], "bool | None"]  # True: stop the run here (a sweep's pruning)


class _Diverged(Exception):
    def __init__(self, epoch: int, step: int, reason: str):
        super().__init__(reason)
        self.where = {"epoch": epoch, "step": step, "reason": reason}


class _Tensors:
    """A split moved to the device once, as x float[N, T, F], y long, lengths long[N] or None."""

    def __init__(self, split: Split, device: torch.device):
        self.x = torch.as_tensor(np.ascontiguousarray(split.x), dtype=torch.float32, device=device)
        self.y = torch.as_tensor(np.ascontiguousarray(split.y), dtype=torch.long, device=device)
        self.lengths = None
        if split.lengths is not None and int(split.lengths.min()) < split.x.shape[1]:
            self.lengths = torch.as_tensor(split.lengths, dtype=torch.long, device=device)

    def __len__(self) -> int:
        return self.x.shape[0]

    def batch(self, index: torch.Tensor | slice) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        return self.x[index], self.y[index], None if self.lengths is None else self.lengths[index]


class Trainer:
    """Everything one run needs, built and checked; ``fit`` trains it once."""

    def __init__(self, run: ResolvedRun, data: Dataset):
        self.run, self.config, self.data = run, run.config, data
        self.device = torch.device(run.config.device)
        # A saturated tanh RNN (a badly tuned lr) fills its gradients with subnormal floats, which run many times
        # slower on CPU; flushing them to zero changes no result that matters. (Process-wide; torch has no getter.)
        torch.set_flush_denormal(True)
        torch.manual_seed(run.config.seed)
        self.generator = torch.Generator().manual_seed(run.config.seed)
        self.train_set, self.val_set, self.test_set = (_Tensors(s, self.device) for s in (data.train, data.val, data.test))
        cell_params = run.params[run.cell.name]
        config = run.config
        self.model = SequenceModel(run.cell.name, run.cell.build, cell_params, data.num_features, config.hidden,
                                   data.num_classes, data.per_step, cell_label=run.labels.get(run.cell.name),
                                   directions=run.cell.directions(cell_params),
                                   readout=config.readout, seq_len=data.seq_len, inputs=run.cell.inputs)
        self.model.check_shapes(self.train_set.x[:2].cpu())  # the model is still on the CPU here
        info = ModelInfo(run.cell.name, dict(cell_params), tuple(config.hidden), data.num_features,
                         data.num_classes, data.seq_len, tuple(run.cell.gates), self.model.directions, config.readout,
                         dict(run.cell.gate_roles))
        self.remedies = []
        for spec in run.remedies:
            with run.blame(spec.name, "build"):
                self.remedies.append(spec.build(**run.params[spec.name]))
        for spec, remedy in zip(run.remedies, self.remedies):
            self.model.transform_owner = run.labels.get(spec.name, spec.name)
            with run.blame(spec.name, "on_model"):
                remedy.on_model(self.model, info)
        self.model.to(self.device)
        options: dict[str, Any] = {"lr": run.config.lr}
        for spec, remedy in zip(run.remedies, self.remedies):
            with run.blame(spec.name, "optimizer_options"):
                options = remedy.optimizer_options(options)
        self.optimizer = _optimizer(run.config.optimizer, self.model.parameters(), options)
        with run.blame(run.loss.name, "build"):
            self.loss_fn = checked_loss(run.loss.build(**run.params[run.loss.name]), run.labels.get(run.loss.name))
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        # what each training step calls into plugin code, named for the messages of what it raises
        self._penalty = [run.blame(spec.name, "penalty") for spec in run.remedies]
        self._after_backward = [run.blame(spec.name, "after_backward") for spec in run.remedies]
        self.last_checkpoint: Checkpoint | None = None  # the run at its last finished epoch
        self._backward = Blame("backward through " + ", ".join(run.labels.values()) if run.labels else "backward",
                               "autograd")

    def fit(self, on_epoch: EpochCallback | None, on_step: StepCallback | None,
            resume: Checkpoint | None = None) -> RunResult:
        config = self.config
        result = RunResult(config=config.to_json(), params=self.run.params, dataset_info=dict(self.data.info))
        started = time.perf_counter()
        watch = Objective.named(config.monitor)
        maximize = watch.maximize
        best, best_state, start, before = None, None, 0, 0.0
        if resume is None:
            if config.flow_profile:
                self._record_flow(result, 0)
        else:
            best, best_state, start, before = self._resume(resume, result)
        self.last_checkpoint = resume
        first = config.epochs + 1 if start and self._plateaued(start, result) else start + 1  # plateaued: done
        try:
            for epoch in range(first, config.epochs + 1):
                epoch_start = time.perf_counter()
                train_loss = self._train_epoch(epoch, result, on_step)
                val = self._evaluate(self.val_set)
                record = EpochRecord(epoch, train_loss, val["accuracy"], val["nll"], time.perf_counter() - epoch_start)
                result.epochs.append(record)
                if self._flow_due(epoch):
                    self._record_flow(result, epoch)
                watched = getattr(record, watch.name)
                if config.patience is not None and improved(watched, best, maximize):
                    best, result.best_epoch = watched, epoch
                    best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                wall = before + time.perf_counter() - started
                self.last_checkpoint = self._checkpoint(result, best, best_state, wall)
                if on_epoch is not None and on_epoch(record):
                    result.status = "stopped"
                    break
                if self._plateaued(epoch, result):
                    break
        except _Diverged as diverged:
            result.status, result.diverged_at = "diverged", diverged.where
        if result.status == "completed":
            if best_state is not None:
                self.model.load_state_dict(best_state)  # tested (and profiled) with its best epoch's weights
            if config.flow_profile:
                self._record_flow(result, len(result.epochs))
            result.test = {**self._evaluate(self.test_set, with_ece=True), "classes": self.data.num_classes}
            values = result.curve(watch.name)
            reached = time_to_target(values, [e.seconds for e in result.epochs], maximize)
            if reached is not None:
                result.time_to_target = {"share": TARGET_SHARE, "epoch": reached[0], "seconds": reached[1]}
        result.wall_seconds = before + time.perf_counter() - started
        seconds = [e.seconds for e in result.epochs]
        result.seconds_per_epoch = sum(seconds) / len(seconds) if seconds else 0.0
        result.peak_memory_mb = _peak_memory_mb(self.device)
        result.environment = _environment(self.device)
        return result

    def _flow_due(self, epoch: int) -> bool:
        """Whether a profile is recorded after ``epoch`` while training goes on (the last one is recorded after)."""
        config = self.config
        return bool(config.flow_profile and config.flow_every and epoch % config.flow_every == 0
                    and epoch < config.epochs)

    def _plateaued(self, epoch: int, result: RunResult) -> bool:
        """Whether the run stops on patience after ``epoch`` (and says so in ``result``). Never while its best
        validation accuracy lies within the chance margin: a run that has not started to learn has not plateaued
        (a tanh RNN can sit at chance for 15 epochs and more), so it trains on to its cap."""
        config = self.config
        if (config.patience is not None and stops(epoch, result.best_epoch or 0, config.patience, config.min_epochs)
                and not at_chance(max((e.val_accuracy for e in result.epochs if math.isfinite(e.val_accuracy)),
                                      default=None), 1 / self.data.num_classes)):
            result.plateaued = True
        return result.plateaued

    def _checkpoint(self, result: RunResult, best: float | None, best_state: dict[str, Any] | None,
                    wall_seconds: float) -> Checkpoint:
        """The run as it is at the end of an epoch: a copy, kept until the next epoch ends, so that a run stopped
        mid-epoch (a signal) still hands over its last finished epoch."""
        flow = {key: dict(value) if isinstance(value, dict) else value for key, value in result.flow.items()}
        return Checkpoint(len(result.epochs), self.config.to_json(),
                          training_state(self.model, self.optimizer, self.generator, self.device), best,
                          result.best_epoch, best_state, list(result.epochs), list(result.grad_norms),
                          result.clipped_steps, flow, wall_seconds)

    def _resume(self, checkpoint: Checkpoint, result: RunResult) -> tuple[Any, Any, int, float]:
        """Put the run back where ``checkpoint`` left it; (best, its weights, epoch, seconds trained so far)."""
        problem = checkpoint.problem(self.config)
        if problem is not None:
            raise LossbenchError(f"cannot continue this run from its checkpoint: {problem}")
        load_training_state(checkpoint.state, self.model, self.optimizer, self.generator, self.device)
        result.epochs, result.grad_norms = list(checkpoint.epochs), list(checkpoint.grad_norms)
        result.clipped_steps, result.best_epoch = checkpoint.clipped_steps, checkpoint.best_epoch
        result.continued_from = checkpoint.epoch
        result.flow = {key: dict(value) if isinstance(value, dict) else value for key, value in checkpoint.flow.items()}
        if self._flow_due(checkpoint.epoch) and str(checkpoint.epoch) not in result.flow.get("profiles", {}):
            self._record_flow(result, checkpoint.epoch)  # not recorded at the cap it had then, due below this one
        return checkpoint.best, checkpoint.best_model, checkpoint.epoch, checkpoint.wall_seconds

    def _train_epoch(self, epoch: int, result: RunResult, on_step: StepCallback | None) -> float:
        model, optimizer, loss_fn, remedies = self.model, self.optimizer, self.loss_fn, self.remedies
        data, batch_size, per_step = self.train_set, self.config.batch_size, self.data.per_step
        model.train()
        order = torch.randperm(len(data), generator=self.generator).to(self.device)
        steps = math.ceil(len(data) / batch_size)
        total, count = 0.0, 0
        for step in range(steps):
            x, y, lengths = data.batch(order[step * batch_size:(step + 1) * batch_size])
            logits = model(x, lengths)
            if per_step:
                logits, y = _valid_steps(logits, y, lengths)
            loss = loss_fn(logits, y)
            for remedy, blame in zip(remedies, self._penalty):
                with blame:
                    extra = remedy.penalty(model)
                    if extra is not None:
                        loss = loss + extra
            value = loss.item()
            if not math.isfinite(value):
                raise _Diverged(epoch, step + 1, f"loss is {value}")
            optimizer.zero_grad(set_to_none=True)
            with self._backward:
                loss.backward()
            norm = torch.nn.utils.get_total_norm([p.grad for p in self.params if p.grad is not None]).item()
            if not math.isfinite(norm):
                raise _Diverged(epoch, step + 1, f"gradient norm is {norm}")
            result.grad_norms.append(norm)
            clipped = False
            for remedy, blame in zip(remedies, self._after_backward):
                with blame:
                    clipped = bool(remedy.after_backward(model, norm)) or clipped
            result.clipped_steps += clipped
            optimizer.step()
            total += value * y.shape[0]
            count += y.shape[0]
            if on_step is not None:
                on_step(epoch, step + 1, steps)
        return total / count

    @torch.inference_mode()
    def _evaluate(self, data: _Tensors, with_ece: bool = False) -> dict[str, float]:
        self.model.eval()
        logits, targets = [], []
        for start in range(0, len(data), EVAL_BATCH):
            x, y, lengths = data.batch(slice(start, start + EVAL_BATCH))
            out = self.model(x, lengths)
            if self.data.per_step:
                out, y = _valid_steps(out, y, lengths)
            logits.append(out)
            targets.append(y)
        return evaluate_logits(torch.cat(logits), torch.cat(targets), with_ece)

    def _record_flow(self, result: RunResult, epoch: int) -> None:
        x, y, lengths = self.val_set.batch(slice(0, self.config.flow_batch))
        result.flow["alignment"] = ALIGNMENT
        for direction in directions(self.model):  # the forward one at the top level, as for one direction
            profile = flow_profile(self.model, self.loss_fn, x, y, lengths, self.data.per_step, direction)
            where = result.flow if direction == "forward" else result.flow.setdefault(direction, {})
            where.setdefault("profiles", {})[str(epoch)] = profile
            where.setdefault("vanishing_ratio", {})[str(epoch)] = vanishing_ratio(profile)


def checked_loss(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], label: str | None
                 ) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss function with what it raises named (``label``), and its result checked: a one-element tensor."""
    label = label or "the loss"
    blame = Blame(label, "the loss function")

    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with blame:
            value = fn(logits, target)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            got = list(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise PluginCodeError(f"{label}: the loss function returned {got}; expected a scalar tensor (the mean "
                                  f"over N)")
        if torch.is_grad_enabled() and logits.requires_grad and not value.requires_grad:
            raise PluginCodeError(f"{label}: the loss function returned a tensor that needs no gradient (detached "
                                  f"from the logits, or made anew): nothing could train; compute it from the logits")
        return value

    return loss


def _valid_steps(logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-step targets: flatten to [N, C] over the valid steps only, so padding never enters the loss."""
    if lengths is None:
        return logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
    mask = step_mask(lengths, y.shape[1])
    return logits[mask], y[mask]


def _optimizer(name: str, params: Any, options: dict[str, Any]) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, **options)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, **options)
    return torch.optim.SGD(params, **{"momentum": 0.9, **options})


def _peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _environment(device: torch.device) -> dict[str, Any]:
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": f"{device} ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
    }
