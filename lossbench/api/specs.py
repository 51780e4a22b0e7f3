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


@dataclass(frozen=True, kw_only=True)
class CellSpec(_Spec):
    """A recurrent layer. ``build(input_size, hidden_size, **params)`` returns a ``torch.nn.Module`` whose
    ``forward(x: float[B, T, F]) -> float[B, T, hidden_size]`` is causal (step t sees steps <= t only),
    which is what lets padded steps at the end of a sequence never change a valid output.

    Recurrent weight matrices are parameters named ``weight_hh*``, input weights ``weight_ih*`` and biases
    ``bias_ih*`` / ``bias_hh*``, stacked in the order of ``gates`` (torch's conventions), so that
    initialisation remedies can find them."""

    build: Callable[..., Any]
    gates: tuple[str, ...] = ("h",)

    kind = "cell"


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

    ``cells`` names the cells it applies to (``None``: any); ``check(cell_name, cell_params)`` may refine that
    and returns why a combination cannot work, or ``None`` when it can."""

    build: Callable[..., Remedy]
    cells: tuple[str, ...] | None = None
    check: Callable[[str, Mapping[str, Any]], str | None] | None = None

    kind = "remedy"

    def incompatibility(self, cell_name: str, cell_params: Mapping[str, Any]) -> str | None:
        """Why this remedy cannot be used with that cell, or ``None``."""
        if self.cells is not None and cell_name not in self.cells:
            return f"remedy {self.name} applies to cells {', '.join(self.cells)}, not {cell_name}"
        if self.check is not None:
            reason = self.check(cell_name, cell_params)
            if reason:
                return f"remedy {self.name} with cell {cell_name}: {reason}"
        return None


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
