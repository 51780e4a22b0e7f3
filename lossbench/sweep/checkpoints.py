"""Each run's checkpoint (``lossbench.engine.Checkpoint``: its state at its stop) in Optuna's artifact store,
linked from its trial by the user attr ``checkpoint``: {id, epoch, bytes}.

The store is Optuna's ``FileSystemArtifactStore`` on ``Storage.artifact_folder``: OUT/NAME/artifacts beside the
journal by default, or ``--artifacts DIR``, which a sweep on a database shared by machines needs: a folder every
machine reaches (NFS, say), or a run checkpointed on one machine cannot be continued on another. (Optuna's
``Boto3ArtifactStore``, an S3 bucket, has the same protocol and would do as well; it is not offered yet.)

Only a run's latest checkpoint is kept: storing one deletes the one its trial carried (a retry carries its
interrupted trial's), so the folder holds one file per run, and holds nothing else: deleting it loses only the
runs' continuation. A checkpoint is written after the trial's result is stored; a write that fails (a full disk)
leaves no partial file and is one warning line, and that run is then simply not continuable.
"""

from __future__ import annotations

import io
import sys
import uuid
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossbench.results import writer

if TYPE_CHECKING:
    from lossbench.engine import Checkpoint
    from lossbench.results.storage import Storage


class Checkpoints:
    """The checkpoints of one sweep's runs, in an artifact store on ``folder``."""

    def __init__(self, folder: str | Path):
        from optuna.artifacts import FileSystemArtifactStore

        self.folder = Path(folder)
        self.store = FileSystemArtifactStore(self.folder)

    @classmethod
    def of(cls, storage: Storage) -> Checkpoints:
        return cls(storage.artifact_folder)

    def save(self, trial: Any, checkpoint: Checkpoint | None) -> None:
        """Store ``checkpoint`` as the latest of the RUNNING ``trial``'s run, link it, and delete the one it
        replaces; a write that fails is one warning line (the trial's result is stored already)."""
        if checkpoint is None:
            return
        previous = writer.checkpoint_of(trial)
        artifact = str(uuid.uuid4())
        try:
            data = checkpoint.to_bytes()
            # an artifact folder deleted mid-sweep comes back, but never the sweep's folder around it: a sweep
            # whose folder was deleted must fail on its journal, not go on in a folder made anew
            self.folder.mkdir(exist_ok=True)
            self._write(artifact, data)
        except Exception as error:
            _warn(f"the checkpoint of trial {trial.number} of {_study_of(trial)} could not be written to {self.folder} "
                  f"({_one_line(error)}); its result is stored, but the run cannot be continued")
            return
        try:
            writer.record_checkpoint(trial, {"id": artifact, "epoch": checkpoint.epoch, "bytes": len(data)})
        except BaseException:  # the trial was taken over meanwhile (or the storage failed): nothing links it
            self._remove(artifact)
            raise
        if previous and previous.get("id") != artifact:
            self._remove(previous.get("id"))

    def load(self, link: dict[str, Any] | None) -> Checkpoint | None:
        """The checkpoint a trial's ``checkpoint`` attr links; None (one warning line) when it is gone or unreadable."""
        from lossbench.engine import Checkpoint

        if not link:
            return None
        try:
            with self.store.open_reader(str(link.get("id"))) as reader:
                return Checkpoint.from_bytes(reader.read())
        except Exception as error:
            _warn(f"the checkpoint {link.get('id')} (epoch {link.get('epoch')}) could not be read from "
                  f"{self.folder} ({_one_line(error)}); its run starts again from its first epoch")
            return None

    def _write(self, artifact: str, data: bytes) -> None:
        try:
            self.store.write(artifact, io.BytesIO(data))
        except BaseException:
            self._remove(artifact)  # no partial file left behind
            raise

    def _remove(self, artifact: Any) -> None:
        from optuna.artifacts.exceptions import ArtifactNotFound

        with suppress(ArtifactNotFound, OSError, ValueError):
            self.store.remove(str(artifact))


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}"[:300] if text else type(error).__name__


def _study_of(trial: Any) -> str:
    """The study a trial belongs to, for messages: trial numbers restart in each arm's study."""
    study = getattr(trial, "study", None)
    return getattr(study, "study_name", "its study")


def _warn(line: str) -> None:
    sys.stderr.write(f"warning: {line}\n")
