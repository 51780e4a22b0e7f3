"""``--set NAME=VALUE``, the one parser behind ``train`` and ``run``, and ``--hidden`` sizes.

Values stay text here: the component's spec checks each against its declared range."""

from __future__ import annotations

from typing import Any

from lossbench.errors import ParameterError



def parse_sets(texts: list[str] | None) -> list[tuple[str, str]]:
    """(name, value) for each ``NAME=VALUE``, in order."""
    pairs = []
    for text in texts or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set takes name=value, got {text!r}")
        pairs.append((key.strip(), value.strip()))
    return pairs


def parse_hidden(text: str, option: str = "--hidden") -> tuple[int, ...]:
    """``64`` or ``64,32``: one hidden size per layer."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ParameterError(f"{option} takes a size or sizes like 64,32; got {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise ParameterError(f"{option} sizes must be positive integers; got {text!r}")
    return sizes


def component_params(pairs: list[tuple[str, str]], components: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``train``: ``component.param`` or ``param`` when exactly one component of the run has it.

    ``components`` maps the run's component names to their specs."""
    params: dict[str, dict[str, str]] = {}
    for key, value in pairs:
        component, dot, name = key.rpartition(".")
        if not dot:
            owners = [c for c, spec in components.items() if name in spec.defaults]
            if len(owners) != 1:
                where = f"several components ({', '.join(owners)})" if owners else "no component of this run"
                known = sorted(f"{c}.{p}" for c, spec in components.items() for p in spec.defaults)
                raise ParameterError(f"--set {name}: {where} has a parameter {name!r}; write component.param"
                                     + (f" (known: {', '.join(known)})" if known else ""))
            component = owners[0]
        elif component not in components:
            raise ParameterError(f"--set {key}: {component!r} is not a component of this run "
                                 f"({', '.join(components)})")
        params.setdefault(component, {})[name] = value
    return params


def sweep_overrides(pairs: list[tuple[str, str]], dataset: str, fixed: dict[str, Any],
                    dataset_params: dict[str, Any]) -> dict[str, Any]:
    """``run``: training keys (lr, hidden, batch_size, optimizer, readout), ``<dataset>.param`` and ``component.param``,
    pinned for every arm, as SweepSpec fields to replace (``fixed`` and ``dataset_params`` extended)."""
    fixed, dataset_params, fields = dict(fixed), dict(dataset_params), {}
    for key, value in pairs:
        if key == "hidden":
            fields["hidden"] = parse_hidden(value, "--set hidden")
        elif key == "batch_size":
            try:
                fields["batch_size"] = int(value)
            except ValueError:
                raise ParameterError(f"--set batch_size takes an integer; got {value!r}") from None
        elif key in ("optimizer", "readout"):
            fields[key] = value
        elif key == "lr":
            try:
                fixed["lr"] = float(value)
            except ValueError:
                raise ParameterError(f"--set lr takes a number; got {value!r}") from None
        elif key.startswith(dataset + "."):
            dataset_params[key.split(".", 1)[1]] = value
        else:
            fixed[key] = value  # lr or component.param
    return {**fields, "fixed": fixed, "dataset_params": dataset_params}
