"""Search-space parameters: how a plugin declares what may be tuned, without importing Optuna.

The sweep maps them to Optuna distributions; ``validate`` checks a value a user set by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lossbench.errors import ParameterError


@dataclass(frozen=True)
class _Range:
    """A number in [low, high], sampled on a log scale when ``log``: what Float and Int share."""

    low: Any
    high: Any
    log: bool = False

    type_name = "number"  # in to_json
    words = "a number"  # in messages
    parse: ClassVar[Any] = float  # text to a number

    def __post_init__(self) -> None:
        kind = type(self).__name__
        if not self.low <= self.high:
            raise ValueError(f"{kind}: low {self.low} is above high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"{kind}: a log scale needs low > 0, got {self.low}")

    def _convert(self, value: Any) -> Any:
        """The value as this kind of number (text parsed first), or None when it is not one."""
        if isinstance(value, str):
            try:
                value = type(self).parse(value)
            except ValueError:
                return None
        return None if isinstance(value, bool) else self._exact(value)

    def _exact(self, value: Any) -> Any:
        raise NotImplementedError

    def _show(self, value: Any) -> str:
        return str(value)

    def validate(self, name: str, value: Any) -> Any:
        bounds = f"[{self._show(self.low)}, {self._show(self.high)}]"
        converted = self._convert(value)
        if converted is None:
            raise ParameterError(f"{name} must be {self.words} in {bounds}, got {value!r}")
        if not self.low <= converted <= self.high:
            raise ParameterError(f"{name}={self._show(converted)} is out of range {bounds}")
        return converted

    def describe(self) -> str:
        return f"{self.type_name} [{self._show(self.low)}, {self._show(self.high)}]" + (" log" if self.log else "")

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Float(_Range):
    """A real number in [low, high], sampled on a log scale when ``log``."""

    type_name, words, parse = "float", "a number", float

    def _exact(self, value: Any) -> float | None:
        return float(value) if isinstance(value, (int, float)) else None

    def _show(self, value: Any) -> str:
        return f"{value:g}"


@dataclass(frozen=True)
class Int(_Range):
    """An integer in [low, high], sampled on a log scale when ``log``."""

    type_name, words, parse = "int", "an integer", int

    def _exact(self, value: Any) -> int | None:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else None


@dataclass(frozen=True)
class Categorical:
    """One of a fixed list of choices (strings, numbers, booleans or None)."""

    choices: tuple[Any, ...]

    def __init__(self, choices: Any) -> None:
        choices = tuple(choices)
        if not choices:
            raise ValueError("Categorical needs at least one choice")
        object.__setattr__(self, "choices", choices)

    def validate(self, name: str, value: Any) -> Any:
        if value in self.choices and not _bool_int_confusion(value, self.choices):
            return next(c for c in self.choices if c == value and type(c) is type(value))
        if isinstance(value, str):  # from the command line: the text of a choice, then its text in any case
            text = value.strip()
            for same in (lambda c: _text(c) == text, lambda c: _text(c).lower() == text.lower()):
                matches = [c for c in self.choices if same(c)]
                if len(matches) == 1:
                    return matches[0]
        allowed = ", ".join(_text(c) for c in self.choices)
        raise ParameterError(f"{name} must be one of {allowed}; got {value!r}")

    def describe(self) -> str:
        return "one of " + ", ".join(_text(c) for c in self.choices)

    def to_json(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}


Param = Float | Int | Categorical


def _text(choice: Any) -> str:
    """A choice as shown and typed: as declared (``GunPoint`` stays ``GunPoint``); None and booleans as words."""
    if choice is None:
        return "none"
    if isinstance(choice, bool):
        return "true" if choice else "false"
    return str(choice)


def _bool_int_confusion(value: Any, choices: tuple[Any, ...]) -> bool:
    """``True == 1`` in Python; a choice list of ints must not accept a bool (and vice versa)."""
    return not any(c == value and type(c) is type(value) for c in choices)
