"""A run continued from its checkpoint gives exactly the numbers of the same run trained straight (CPU, one
thread): curves, test metrics, best epoch, gradient norms, clipped steps and flow profiles, bit for bit."""

from __future__ import annotations

import os
import pickle
import signal

import pytest

from lossbench.engine import Checkpoint, RunConfig, RunResult, prepare
from lossbench.errors import LossbenchError
from lossbench.registry import load_registry
from lossbench.sweep.interrupt import OutOfTime
from lossbench.testing import check_remedy

REGISTRY = load_registry()
# state in modules (batch_norm's running statistics), torch's global RNG (dropout), clipped steps (clip_norm)
REMEDIES = ("batch_norm", "dropout", "clip_norm")


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def config(epochs: int, **fields) -> RunConfig:
    """Digits, a GRU of 8 with three remedies, a flow profile every 2 epochs."""
    base = dict(dataset="digits", cell="gru", loss="ce", remedies=REMEDIES, batch_size=64, hidden=(8,), lr=3e-2,
                flow_every=2, params={"clip_norm": {"max_norm": 0.5}})
    return RunConfig(**{**base, **fields, "epochs": epochs})


def numbers(result: RunResult) -> dict:
    """Everything a run measured but its timings and where it ran."""
    data = result.to_json()
    for record in data["epochs"]:
        record.pop("seconds")
    for key in ("seconds_per_epoch", "wall_seconds", "peak_memory_mb", "environment", "continued_from"):
        data.pop(key)
    if data["time_to_target"]:
        data["time_to_target"].pop("seconds")
    data["config"].pop("epochs")
    return data


def trained_to(epochs: int, **fields) -> tuple[RunResult, Checkpoint]:
    prepared = prepare(config(epochs, **fields), REGISTRY)
    result = prepared.fit()
    return result, prepared.checkpoint()


def continued(checkpoint: Checkpoint, epochs: int, **fields) -> RunResult:
    """Continued in a run built anew, from the checkpoint's bytes (what another process would read)."""
    return prepare(config(epochs, **fields), REGISTRY).fit(resume=Checkpoint.from_bytes(checkpoint.to_bytes()))


def test_a_run_continued_to_a_larger_cap_equals_one_trained_straight_without_patience():
    straight, _ = trained_to(7)
    _, at_four = trained_to(4)  # at its cap then: the profile of epoch 4 was the final one, due now at 7
    assert at_four.epoch == 4 and at_four.best_model is None
    again = continued(at_four, 7)
    assert again.continued_from == 4 and [e.epoch for e in again.epochs] == list(range(1, 8))
    assert straight.clipped_steps > 0 and set(straight.flow["profiles"]) == {"0", "2", "4", "6", "7"}
    assert numbers(again) == numbers(straight)
    assert again.wall_seconds >= at_four.wall_seconds


@pytest.mark.parametrize("at", [4, 7, 8])
def test_a_run_continued_equals_one_trained_straight_with_patience(at):
    """Patience 2: the straight run's best epoch is 6 and it plateaus at 8 (of a cap of 12). Continued from
    before its best, from past it (the best weights are not the last), and from its plateau (nothing to train)."""
    straight, _ = trained_to(12, patience=2)
    assert straight.best_epoch == 6 and straight.plateaued and len(straight.epochs) == 8
    _, checkpoint = trained_to(at, patience=2)
    assert checkpoint.epoch == at and checkpoint.best_model is not None
    assert at == 4 or checkpoint.best_epoch == 6  # past the best: its weights are not the last epoch's
    assert numbers(continued(checkpoint, 12, patience=2)) == numbers(straight)


def test_a_run_stopped_mid_epoch_by_a_signal_hands_over_its_last_finished_epoch():
    straight, _ = trained_to(5)
    prepared = prepare(config(5), REGISTRY)

    def on_step(epoch: int, step: int, steps: int) -> None:
        if (epoch, step) == (3, 5):
            os.kill(os.getpid(), signal.SIGINT)  # Python's handler raises KeyboardInterrupt here, mid-epoch

    # Python's own handler, whatever an earlier test in this process (or the test runner) installed: with another
    # one the signal raised nothing (seen once under xdist)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            prepared.fit(on_step=on_step)
    finally:
        signal.signal(signal.SIGINT, previous)
    checkpoint = prepared.checkpoint()
    assert checkpoint.epoch == 2 and len(checkpoint.grad_norms) == 2 * len(straight.grad_norms) // 5
    assert numbers(continued(checkpoint, 5)) == numbers(straight)


def test_a_run_stopped_at_an_epoch_s_end_hands_over_that_epoch():
    """The sweep's time budget raises from ``on_epoch``: the epoch that just finished is in the checkpoint."""
    straight, _ = trained_to(4, patience=1)
    prepared = prepare(config(4, patience=1), REGISTRY)

    def on_epoch(record) -> None:
        if record.epoch == 2:
            raise OutOfTime()

    with pytest.raises(OutOfTime):
        prepared.fit(on_epoch=on_epoch)
    assert prepared.checkpoint().epoch == 2
    assert numbers(continued(prepared.checkpoint(), 4, patience=1)) == numbers(straight)


def test_a_checkpoint_continues_only_its_own_run_up_to_a_cap_at_or_past_its_epoch():
    _, checkpoint = trained_to(3)
    for other, why in [(config(5, lr=1e-2), "differs in lr"), (config(5, seed=1), "differs in seed"),
                       (config(5, remedies=REMEDIES[::-1]), "differs in remedies"),
                       (config(2), "at epoch 3, past this run's cap of 2 epochs")]:
        with pytest.raises(LossbenchError, match=why):
            prepare(other, REGISTRY).fit(resume=checkpoint)
    same = prepare(config(3), REGISTRY).fit(resume=checkpoint)  # at its cap: tested again, nothing trained
    assert same.continued_from == 3 and numbers(same) == numbers(trained_to(3)[0])


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_loading_a_checkpoint_runs_no_code_from_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for data in [pickle.dumps({"format": "lossbench.checkpoint/1", "x": _Payload()}, protocol=2), b"not a checkpoint", b""]:
        with pytest.raises(LossbenchError, match="not a lossbench checkpoint"):
            Checkpoint.from_bytes(data)
    assert not (tmp_path / "pwned").exists()


def test_a_checkpoint_holds_the_latest_state_and_the_best_weights_only():
    """Model, optimiser (Adam: two moments) and best weights in float32: its size is about 4 copies of the
    weights, plus 8 bytes per step of history; it does not grow with the epochs otherwise."""
    prepared = prepare(config(2, patience=2), REGISTRY)
    prepared.fit()
    weights = sum(p.numel() for p in prepared.trainer.model.parameters())
    small, large = (trained_to(epochs, patience=2)[1] for epochs in (2, 6))
    steps = len(large.grad_norms) - len(small.grad_norms)
    assert len(small.to_bytes()) < 4 * 4 * weights + 8 * len(small.grad_norms) + 40_000
    assert len(large.to_bytes()) - len(small.to_bytes()) < 8 * steps + 4 * 1000  # the history, and 4 profiles


def test_the_conformance_kit_fails_a_remedy_whose_state_a_checkpoint_would_lose():
    from lossbench import Remedy, RemedySpec

    class Annealed(Remedy):
        """Scales gradients down a little more at every step, counting steps in an attribute of its own."""

        def __init__(self):
            self.steps = 0

        def after_backward(self, model, grad_norm):
            self.steps += 1
            for p in model.parameters():
                p.grad.mul_(1.0 / self.steps)
            return True

    report = check_remedy(RemedySpec(name="annealed", summary="test", build=Annealed))
    [failure] = report.failures
    assert failure.check == "continues from a checkpoint" and "attributes of its own" in failure.message
    assert check_remedy(REGISTRY.get("remedies", "batch_norm")).passed
