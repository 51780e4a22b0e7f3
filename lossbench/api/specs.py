"""The four kinds of component a plugin can register, as frozen dataclasses.

Every spec has a ``name`` (a slug used on the command line), a one-line ``summary``, a ``space`` of
tunable hyperparameters, ``defaults`` for every parameter its builder accepts (tunable or not), and
optionally ``constraints``: declared ranges for parameters a user may set but a sweep never tunes.
A parameter whose default is ``None`` is optional: ``None`` (or ``"none"``) leaves it off, any other value
is checked against its declared range.
Nothing here imports torch: builders import it when they are called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lossbench.api.params import Param
from lossbench.errors import ParameterError

if TYPE_CHECKING:
    from lossbench.api.data import Dataset
    from lossbench.api.remedy import Remedy

TARGET_KINDS = frozenset({"binary", "multiclass"})
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, kw_only=True)
class _Spec:
    name: str
    summary: str
    space: Mapping[str, Param] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    constraints: Mapping[str, Param] = field(default_factory=dict)

    kind = "component"

    def __post_init__(self) -> None:
        if not _SLUG.match(self.name):
            raise ValueError(f"{self.kind} name {self.name!r} must be a slug: lower-case letters, digits and _")
        missing = set(self.space) - set(self.defaults)
        if missing:
            raise ValueError(f"{self.kind} {self.name}: no default for tunable {sorted(missing)}")
        missing = set(self.constraints) - set(self.defaults)
        if missing:
            raise ValueError(f"{self.kind} {self.name}: no default for constrained {sorted(missing)}")
        for key, param in [*self.space.items(), *self.constraints.items()]:
            if self.defaults[key] is not None:
                param.validate(f"{self.name}.{key}", self.defaults[key])
        object.__setattr__(self, "space", MappingProxyType(dict(self.space)))
        object.__setattr__(self, "constraints", MappingProxyType(dict(self.constraints)))
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The defaults with ``overrides`` applied, every value checked against its declared range or type."""
        params = dict(self.defaults)
        for key, value in (overrides or {}).items():
            if key not in self.defaults:
                from lossbench.errors import UnknownNameError

                raise ParameterError(str(UnknownNameError(f"parameter of {self.kind} {self.name}", key, self.defaults)))
            params[key] = self.check_value(key, value)
        return params

    def check_value(self, key: str, value: Any) -> Any:
        label = f"{self.name}.{key}"
        declared = self.space.get(key) or self.constraints.get(key)
        if declared is not None:
            if self.defaults[key] is None and (value is None or str(value).strip().lower() in {"", "none"}):
                return None
            return declared.validate(label, value)
        return _coerce_like(label, self.defaults[key], value)


@dataclass(frozen=True, kw_only=True)
class LossSpec(_Spec):
    """A loss on logits. ``build(**params)`` returns ``fn(logits: float[N, C], target: long[N]) -> scalar``
    (the mean over N). ``targets`` says which target kinds it supports: ``binary`` (C == 2), ``multiclass``."""

    build: Callable[..., Callable[[Any, Any], Any]]
    targets: frozenset[str] = TARGET_KINDS

    kind = "loss"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "targets", frozenset(self.targets))
        if not self.targets or not self.targets <= TARGET_KINDS:
            raise ValueError(f"loss {self.name}: targets must be a non-empty subset of {sorted(TARGET_KINDS)}")


RECURRENT_WEIGHTS = ("matrix", "vector")
INIT_STYLES = frozenset({"identity", "chrono"})
CELL_INPUTS = frozenset({"lengths", "state"})  # what a cell's forward may ask for besides x (API 1.1)
GATE_ROLES = ("keep", "write")  # what a gate's value multiplies: the old state, or the new (API 1.1)


@dataclass(frozen=True, kw_only=True)
class CellSpec(_Spec):
    """A recurrent layer. ``build(input_size, hidden_size, **params)`` returns a ``torch.nn.Module`` whose
    ``forward(x: float[B, T, F]) -> float[B, T, hidden_size]`` is causal (step t sees steps <= t only),
    which is what lets padded steps at the end of a sequence never change a valid output.

    Recurrent weights are parameters named ``weight_hh*``, input weights ``weight_ih*`` and biases
    ``bias_ih*`` / ``bias_hh*``, stacked in the order of ``gates`` (torch's conventions), so that
    initialisation remedies can find them. What the remedies may assume is declared, never guessed from the name:

    - ``recurrent_weight``: ``"matrix"`` (each ``weight_hh*`` is ``[len(gates) * hidden, hidden]``, torch's
      layout), ``"vector"`` (each is ``[len(gates) * hidden]``, an element-wise recurrence as in IndRNN) or
      ``None`` (no recurrent weight a remedy can act on).
    - ``init_styles``: the initialisations the cell opts in to: ``"identity"`` (its recurrence stays stable
      with recurrent weights ``scale * identity`` and zero biases, as an IRNN or IndRNN with ReLU),
      ``"chrono"`` (a gate's bias sets the memory's time scale, as LSTM and GRU; ``gate_roles`` says which).

    Since API 1.1 a cell may declare more (a cell written for 1.0 declares none of it and works as before):

    - ``bidirectional``: the cell runs both ways when its parameter ``bidirectional`` (declared in ``defaults``,
      False) is true: the module then returns ``[B, T, 2 * hidden]``, the forward direction's outputs then the
      backward direction's, the backward direction starting at each sequence's last valid step (so it asks
      for ``lengths``). Its forward half is causal, its backward half anti-causal within each sequence.
    - ``gate_roles``: what a gate means, by its name in ``gates``: ``"keep"`` when its value multiplies the old
      state (an LSTM's forget gate f; torch's GRU update gate z: h' = (1 - z) n + z h) or ``"write"`` when it
      multiplies the new (an LSTM's input gate i; minGRU's z: h' = (1 - z) h + z h~). ``chrono_init`` sets the
      biases from it, and refuses a cell that declares no keep or write gate.
    - ``inputs``: what ``forward`` receives besides ``x``, as keyword arguments: ``"lengths"`` (int64 ``[B]``,
      each sequence's valid steps, or None when every sequence fills T) and ``"state"`` (the state before the
      first step, float ``[directions, B, hidden]``: zeros)."""

    build: Callable[..., Any]
    gates: tuple[str, ...] = ("h",)
    recurrent_weight: str | None = "matrix"
    init_styles: frozenset[str] = frozenset()
    bidirectional: bool = False
    inputs: frozenset[str] = frozenset()
    gate_roles: Mapping[str, str] = field(default_factory=dict)

    kind = "cell"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "init_styles", frozenset(self.init_styles))
        object.__setattr__(self, "inputs", frozenset([self.inputs] if isinstance(self.inputs, str) else self.inputs))
        if not self.inputs <= CELL_INPUTS:
            raise ValueError(f"cell {self.name}: inputs {sorted(self.inputs - CELL_INPUTS)} unknown; expected a subset "
                             f"of {sorted(CELL_INPUTS)}")
        if not isinstance(self.bidirectional, bool):
            raise ValueError(f"cell {self.name}: bidirectional must be True or False, got {self.bidirectional!r}")
        if self.bidirectional and self.defaults.get("bidirectional", None) is not False:
            raise ValueError(f"cell {self.name}: bidirectional=True needs a parameter bidirectional with the "
                             f"default False (defaults={{'bidirectional': False, ...}}), which its build takes")
        if self.recurrent_weight not in (*RECURRENT_WEIGHTS, None):
            raise ValueError(f"cell {self.name}: recurrent_weight must be one of {', '.join(RECURRENT_WEIGHTS)} or "
                             f"None, got {self.recurrent_weight!r}")
        unknown = self.init_styles - INIT_STYLES
        if unknown:
            raise ValueError(f"cell {self.name}: init_styles {sorted(unknown)} unknown; expected a subset of "
                             f"{sorted(INIT_STYLES)}")
        object.__setattr__(self, "gate_roles", MappingProxyType(dict(self.gate_roles)))
        wrong = {gate: role for gate, role in self.gate_roles.items()
                 if gate not in self.gates or role not in GATE_ROLES}
        if wrong:
            raise ValueError(f"cell {self.name}: gate_roles {wrong} must map gates of {self.gates} to "
                             f"{' or '.join(GATE_ROLES)}")
        if "chrono" in self.init_styles and not self.gate_roles and not {"f", "z"} & set(self.gates):  # API 1.0's rule
            raise ValueError(f"cell {self.name}: init_styles 'chrono' needs a forget gate 'f' or an update gate "
                             f"'z' in gates, got {self.gates}")


    def directions(self, params: Mapping[str, Any]) -> int:
        """2 when these parameters run the cell both ways, else 1."""
        return 2 if self.bidirectional and params.get("bidirectional") is True else 1


@dataclass(frozen=True, kw_only=True)
class DatasetSpec(_Spec):
    """A dataset. ``load(**params)`` returns a :class:`lossbench.api.Dataset` with train, validation and test
    splits. ``targets`` lists the target kinds it may produce (``binary``: exactly 2 classes, ``multiclass``:
    more), so that a loss that cannot fit is refused before anything loads; ``per_step`` says whether every
    step has a target (else one per sequence). Its parameters are set by the user, never tuned: ``space`` must
    stay empty (give ranges in ``constraints``)."""

    load: Callable[..., Dataset]
    targets: frozenset[str] = frozenset({"multiclass"})
    per_step: bool = False

    kind = "dataset"

    def __post_init__(self) -> None:
        if self.space:
            # Tuned against its own validation score, a dataset parameter would pick the easiest variant of the
            # task, and the arms' scores would stop being comparable: a dataset factor is a sweep per value.
            raise ValueError(f"dataset {self.name}: a dataset's parameters are set, never tuned; declare "
                             f"{', '.join(sorted(self.space))} in constraints instead of space (compare values "
                             f"of a dataset parameter with one sweep per value)")
        super().__post_init__()
        object.__setattr__(self, "targets", frozenset(self.targets))
        if not self.targets or not self.targets <= TARGET_KINDS:
            raise ValueError(f"dataset {self.name}: targets must be a non-empty subset of {sorted(TARGET_KINDS)}")


@dataclass(frozen=True, kw_only=True)
class RemedySpec(_Spec):
    """A gradient-stability remedy. ``build(**params)`` returns a :class:`lossbench.api.Remedy`, whose methods
    act at the points of a run (model built, optimiser options, extra loss term, after backward).

    Which cells it takes is decided from what the cell declares, never from its name:
    ``recurrent_weights`` lists the layouts of ``CellSpec.recurrent_weight`` it can act on (``None``: any
    cell, one without recurrent weights included); ``init_style`` names the opt-in a cell must list in its
    ``init_styles`` (``"identity"``, ``"chrono"``). ``cells`` may further name the cells it applies to
    (``None``: any); ``check(cell_name, cell_params)`` may refine all that and returns why a combination
    cannot work, or ``None`` when it can."""

    build: Callable[..., Remedy]
    cells: tuple[str, ...] | None = None
    check: Callable[[str, Mapping[str, Any]], str | None] | None = None
    recurrent_weights: tuple[str, ...] | None = None
    init_style: str | None = None

    kind = "remedy"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.recurrent_weights is not None:
            object.__setattr__(self, "recurrent_weights", tuple(self.recurrent_weights))
            if not set(self.recurrent_weights) <= set(RECURRENT_WEIGHTS):
                raise ValueError(f"remedy {self.name}: recurrent_weights must be among {', '.join(RECURRENT_WEIGHTS)}")
        if self.init_style is not None and self.init_style not in INIT_STYLES:
            raise ValueError(f"remedy {self.name}: init_style must be one of {sorted(INIT_STYLES)} or None")

    def incompatibility(self, cell: CellSpec | str, cell_params: Mapping[str, Any]) -> str | None:
        """Why this remedy cannot be used with that cell (a ``CellSpec``, whose declarations decide; a bare name
        is checked against ``cells`` and ``check`` only), or ``None``."""
        name = cell if isinstance(cell, str) else cell.name
        if self.cells is not None and name not in self.cells:
            return f"remedy {self.name} applies to cells {', '.join(self.cells)}, not {name}"
        if isinstance(cell, CellSpec):
            if self.recurrent_weights is not None and cell.recurrent_weight not in self.recurrent_weights:
                has = f"a {cell.recurrent_weight} recurrent weight" if cell.recurrent_weight else "no recurrent weight"
                return (f"remedy {self.name} needs a recurrent weight {' or '.join(self.recurrent_weights)}; cell "
                        f"{name} declares {has} (CellSpec.recurrent_weight)")
            if self.init_style is not None and self.init_style not in cell.init_styles:
                return (f"remedy {self.name} applies to cells that opt in with init_styles={{{self.init_style!r}}}; "
                        f"cell {name} declares {sorted(cell.init_styles) or 'none'}")
            if self.init_style == "chrono" and not cell.gate_roles:
                gate = next((g for g in ("z", "f") if g in cell.gates), cell.gates[0])
                return (f"remedy {self.name} sets the bias of a gate by what it means; cell {name} declares no "
                        f"gate_roles: declare gate_roles={{{gate!r}: 'keep'}} when the gate multiplies the old state "
                        f"(torch's GRU z, an LSTM's f) or {{{gate!r}: 'write'}} when it multiplies the new (minGRU's z)")
        if self.check is not None:
            reason = self.check(name, cell_params)
            if reason:
                return f"remedy {self.name} with cell {name}: {reason}"
        return None

    def takes(self) -> dict[str, Any]:
        """What this remedy asks of a cell, for ``lossbench list``."""
        out: dict[str, Any] = {"cells": list(self.cells) if self.cells is not None else "any"}
        if self.recurrent_weights is not None:
            out["recurrent weight"] = list(self.recurrent_weights)
        if self.init_style is not None:
            out["init style"] = self.init_style
        return out


Spec = LossSpec | CellSpec | DatasetSpec | RemedySpec


def _coerce_like(label: str, default: Any, value: Any) -> Any:
    """Check a value for a parameter with no declared range against the type of its default."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
            return value.lower() in {"true", "1", "yes"}
        raise ParameterError(f"{label} must be true or false, got {value!r}")
    for kind in (int, float, str):
        if isinstance(default, kind):
            try:
                if kind is int and isinstance(value, float) and not value.is_integer():
                    raise ValueError
                return kind(value)
            except (TypeError, ValueError):
                raise ParameterError(f"{label} must be {kind.__name__}, got {value!r}") from None
    return value
